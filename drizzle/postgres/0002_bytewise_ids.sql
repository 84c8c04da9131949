-- Custom SQL migration, written by hand: the ids that break ties in list orders, cursors and lock orders
-- compare bytewise (COLLATE "C"), as SQLite and JavaScript compare them, whatever collation the database
-- was created with; so the indexes on them serve those orders as they are (docs/postgres.md).
ALTER TABLE "users" ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "api_keys" ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "missions" ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "plans" ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "deployments" ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "agents" ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "webhooks" ALTER COLUMN "id" TYPE text COLLATE "C";
