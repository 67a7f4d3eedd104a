ALTER TABLE "metric_sites" ALTER COLUMN "site_type" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_sites" ADD COLUMN "waiting" jsonb;--> statement-breakpoint
ALTER TABLE "metric_sites" ADD COLUMN "waiting_since" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "metric_sites_waiting_idx" ON "metric_sites" USING btree ("waiting_since") WHERE "metric_sites"."waiting_since" is not null;