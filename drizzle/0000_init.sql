CREATE TABLE `agent_telemetry` (
	`seq` integer PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`sample` text NOT NULL,
	FOREIGN KEY (`user_id`,`agent_id`) REFERENCES `agents`(`user_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `agent_telemetry_agent_idx` ON `agent_telemetry` (`user_id`,`agent_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `agents` (
	`user_id` text NOT NULL,
	`id` text NOT NULL,
	`satellite_id` text,
	`satellite_name` text,
	`agent_version` text,
	`orbit_altitude_km` real,
	`status` text DEFAULT 'idle' NOT NULL,
	`registered_at` integer,
	`last_seen_at` integer NOT NULL,
	`last_heartbeat_at` integer,
	`last_telemetry` text,
	PRIMARY KEY(`user_id`, `id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`environment` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_user_idx` ON `api_keys` (`user_id`);--> statement-breakpoint
CREATE TABLE `deployment_events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`deployment_id` text NOT NULL,
	`event_type` text NOT NULL,
	`event_timestamp` integer NOT NULL,
	`job_id` text,
	`step_id` text,
	`payload` text NOT NULL,
	`content_hash` text NOT NULL,
	`idempotency_key` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `events_order_idx` ON `deployment_events` (`deployment_id`,`event_timestamp`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_content_idx` ON `deployment_events` (`deployment_id`,`event_timestamp`,`content_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_key_idx` ON `deployment_events` (`deployment_id`,`idempotency_key`) WHERE idempotency_key is not null;--> statement-breakpoint
CREATE TABLE `deployments` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`mission_id` text NOT NULL,
	`plan_id` text NOT NULL,
	`satellite_id` text NOT NULL,
	`status` text NOT NULL,
	`mode` text NOT NULL,
	`speed_multiplier` real NOT NULL,
	`agent_id` text,
	`created_at` integer NOT NULL,
	`dispatched_at` integer,
	`started_at` integer,
	`completed_at` integer,
	`event_count` integer DEFAULT 0 NOT NULL,
	`replay_cursor` integer DEFAULT 0 NOT NULL,
	`replay_active` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`mission_id`) REFERENCES `missions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`plan_id`) REFERENCES `plans`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `deployments_user_idx` ON `deployments` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `deployments_dispatch_idx` ON `deployments` (`user_id`,`satellite_id`,`created_at`) WHERE status = 'pending' and mode = 'live';--> statement-breakpoint
CREATE INDEX `deployments_replay_idx` ON `deployments` (`replay_active`) WHERE replay_active = 1;--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `missions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `missions_user_idx` ON `missions` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `plans` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`mission_id` text NOT NULL,
	`label` text NOT NULL,
	`satellite_id` text NOT NULL,
	`satellite_name` text,
	`preset` text,
	`plan_data` text NOT NULL,
	`event_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`mission_id`) REFERENCES `missions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `plans_user_idx` ON `plans` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `plans_mission_idx` ON `plans` (`mission_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);