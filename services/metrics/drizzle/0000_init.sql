CREATE TABLE "metric_sites" (
	"site_id" uuid PRIMARY KEY NOT NULL,
	"site_type" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"consumer" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_pkey" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "processing_failures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"consumer" text NOT NULL,
	"stream_sequence" bigint NOT NULL,
	"event_id" text,
	"event_type" text,
	"tenant_id" text,
	"payload" text NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error_code" text NOT NULL,
	"error_message" text NOT NULL,
	"error_stack" text,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"trace_id" text,
	"status" text DEFAULT 'failed' NOT NULL,
	"retry_of" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "processing_failures_delivery_key" UNIQUE NULLS NOT DISTINCT("consumer","stream_sequence","retry_of"),
	CONSTRAINT "processing_failures_status_check" CHECK ("processing_failures"."status" in ('failed', 'retried', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "tenant_sites" (
	"site_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"state" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_sites_state_check" CHECK ("tenant_sites"."state" in ('provisioning', 'active', 'failed', 'deleted'))
);
--> statement-breakpoint
CREATE TABLE "tenant_stats" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"sites_provisioning" integer DEFAULT 0 NOT NULL,
	"sites_active" integer DEFAULT 0 NOT NULL,
	"sites_failed" integer DEFAULT 0 NOT NULL,
	"backups_completed" integer DEFAULT 0 NOT NULL,
	"backups_failed" integer DEFAULT 0 NOT NULL,
	"backup_bytes" bigint DEFAULT 0 NOT NULL,
	"last_backup_at" timestamp(3) with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_stats_not_negative" CHECK ("tenant_stats"."sites_provisioning" >= 0 and "tenant_stats"."sites_active" >= 0 and "tenant_stats"."sites_failed" >= 0
        and "tenant_stats"."backups_completed" >= 0 and "tenant_stats"."backups_failed" >= 0 and "tenant_stats"."backup_bytes" >= 0)
);
--> statement-breakpoint
CREATE INDEX "processing_failures_status_idx" ON "processing_failures" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "processing_failures_consumer_idx" ON "processing_failures" USING btree ("consumer","status","created_at");--> statement-breakpoint
CREATE INDEX "processing_failures_tenant_idx" ON "processing_failures" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "tenant_sites_tenant_idx" ON "tenant_sites" USING btree ("tenant_id","state");