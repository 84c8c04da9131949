ALTER TABLE `deployments` ADD `stored_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- What the events already stored take (src/domain/quota.ts eventSize): the payload's UTF-8 bytes, wherever
-- it is kept (in the row, or in event_payloads under the event's seq or its payload_ref), its type, job id
-- and step id, and 64 bytes for the row.
UPDATE `deployments` SET `stored_bytes` = (
  SELECT coalesce(sum(
    coalesce(length(CAST(e.`payload` AS BLOB)), (SELECT length(CAST(p.`payload` AS BLOB)) FROM `event_payloads` p WHERE p.`seq` = coalesce(e.`payload_ref`, e.`seq`)), 0)
    + length(CAST(e.`event_type` AS BLOB)) + coalesce(length(CAST(e.`job_id` AS BLOB)), 0) + coalesce(length(CAST(e.`step_id` AS BLOB)), 0) + 64
  ), 0)
  FROM `events` e WHERE e.`deployment_key` = `deployments`.`event_key`
) WHERE `event_key` IS NOT NULL;
