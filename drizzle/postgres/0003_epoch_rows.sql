-- Custom SQL migration, written by hand: the epoch triggers of 0001_meta.sql fired once per statement,
-- so a statement that changed no row (deleting a session that does not exist, revoking a key already
-- revoked or unknown) still moved auth_epoch or session_epoch and made every node drop its credential
-- cache. They are replaced so that an epoch moves only when a row changed (docs/postgres.md
-- "Credentials"): deletions by statement triggers that look at the rows the statement removed (a
-- transition table: none, no bump), updates by row triggers that fire only when a watched column took a
-- different value (transition tables are not allowed with a column list). What moves them is unchanged:
-- a key revoked, deleted or re-pointed, a user changed or deleted, a session deleted.
DROP TRIGGER "api_keys_auth_epoch_update" ON "api_keys";
--> statement-breakpoint
DROP TRIGGER "api_keys_auth_epoch_delete" ON "api_keys";
--> statement-breakpoint
DROP TRIGGER "users_auth_epoch_update" ON "users";
--> statement-breakpoint
DROP TRIGGER "users_auth_epoch_delete" ON "users";
--> statement-breakpoint
DROP TRIGGER "sessions_epoch_delete" ON "sessions";
--> statement-breakpoint
CREATE FUNCTION "gc_bump_auth_epoch_if_gone"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gone) THEN
    UPDATE "meta" SET "value" = "value" + 1 WHERE "key" = 'auth_epoch';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "gc_bump_session_epoch_if_gone"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gone) THEN
    UPDATE "meta" SET "value" = "value" + 1 WHERE "key" = 'session_epoch';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "api_keys_auth_epoch_update" AFTER UPDATE OF "revoked_at", "key_hash", "user_id" ON "api_keys"
  FOR EACH ROW WHEN (OLD."revoked_at" IS DISTINCT FROM NEW."revoked_at" OR OLD."key_hash" IS DISTINCT FROM NEW."key_hash"
    OR OLD."user_id" IS DISTINCT FROM NEW."user_id")
  EXECUTE FUNCTION "gc_bump_auth_epoch"();
--> statement-breakpoint
CREATE TRIGGER "api_keys_auth_epoch_delete" AFTER DELETE ON "api_keys"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_auth_epoch_if_gone"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_epoch_update" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION "gc_bump_auth_epoch"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_epoch_delete" AFTER DELETE ON "users"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_auth_epoch_if_gone"();
--> statement-breakpoint
CREATE TRIGGER "sessions_epoch_delete" AFTER DELETE ON "sessions"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_session_epoch_if_gone"();
