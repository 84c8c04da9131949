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
ALTER TABLE `deployments` ADD `replay_cursor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `deployments_replay_idx` ON `deployments` (`mode`,`status`) WHERE mode = 'simulated' and status in ('pending', 'running');