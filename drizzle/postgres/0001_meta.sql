-- Custom SQL migration, written by hand: what drizzle's schema cannot say. The event seq sequence (unique
-- across nodes: an event's id derives from its created_at and seq, src/domain/ids.ts); the meta counters
-- and the key of event ids and digests; the triggers that move auth_epoch whenever an API key or a user
-- changes and session_epoch whenever a session is deleted, whichever node (or psql) did it, so that every
-- node's credential cache and every open stream know to check again (docs/postgres.md).
CREATE SEQUENCE "events_seq" AS bigint;
--> statement-breakpoint
INSERT INTO "meta" ("key", "value") VALUES ('auth_epoch', 0), ('session_epoch', 0),
  ('event_id_secret', floor(random() * 9007199254740991)::bigint);
--> statement-breakpoint
CREATE FUNCTION "gc_bump_auth_epoch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "meta" SET "value" = "value" + 1 WHERE "key" = 'auth_epoch';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "gc_bump_session_epoch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "meta" SET "value" = "value" + 1 WHERE "key" = 'session_epoch';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "api_keys_auth_epoch_update" AFTER UPDATE OF "revoked_at", "key_hash", "user_id" ON "api_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_auth_epoch"();
--> statement-breakpoint
CREATE TRIGGER "api_keys_auth_epoch_delete" AFTER DELETE ON "api_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_auth_epoch"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_epoch_update" AFTER UPDATE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_auth_epoch"();
--> statement-breakpoint
CREATE TRIGGER "users_auth_epoch_delete" AFTER DELETE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_auth_epoch"();
--> statement-breakpoint
CREATE TRIGGER "sessions_epoch_delete" AFTER DELETE ON "sessions"
  FOR EACH STATEMENT EXECUTE FUNCTION "gc_bump_session_epoch"();
