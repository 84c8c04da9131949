-- Custom SQL migration file, put your code below! --
-- auth_epoch moves with every change that could make a remembered credential wrong: a key revoked,
-- deleted or re-pointed, a user changed or deleted. Servers compare it before trusting their cache.
INSERT INTO `meta` (`key`, `value`) VALUES ('auth_epoch', 0);
--> statement-breakpoint
CREATE TRIGGER `api_keys_auth_epoch_update` AFTER UPDATE OF `revoked_at`, `key_hash`, `user_id` ON `api_keys`
BEGIN UPDATE `meta` SET `value` = `value` + 1 WHERE `key` = 'auth_epoch'; END;
--> statement-breakpoint
CREATE TRIGGER `api_keys_auth_epoch_delete` AFTER DELETE ON `api_keys`
BEGIN UPDATE `meta` SET `value` = `value` + 1 WHERE `key` = 'auth_epoch'; END;
--> statement-breakpoint
CREATE TRIGGER `users_auth_epoch_update` AFTER UPDATE ON `users`
BEGIN UPDATE `meta` SET `value` = `value` + 1 WHERE `key` = 'auth_epoch'; END;
--> statement-breakpoint
CREATE TRIGGER `users_auth_epoch_delete` AFTER DELETE ON `users`
BEGIN UPDATE `meta` SET `value` = `value` + 1 WHERE `key` = 'auth_epoch'; END;
