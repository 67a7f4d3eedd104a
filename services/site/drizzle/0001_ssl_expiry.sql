ALTER TABLE "sites" ADD COLUMN "ssl_expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "ssl_expiry_notified_on" date;--> statement-breakpoint
CREATE INDEX "sites_active_ssl_expires_idx" ON "sites" USING btree ("ssl_expires_at") WHERE "sites"."status" = 'active';