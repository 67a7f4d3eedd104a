CREATE TABLE "audit_logs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"action" text NOT NULL,
	"event_version" integer NOT NULL,
	"tenant_id" text NOT NULL,
	"actor_id" text,
	"actor_type" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"severity" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"correlation_id" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_logs_event_id_key" UNIQUE("event_id"),
	CONSTRAINT "audit_logs_severity_check" CHECK ("audit_logs"."severity" in ('info', 'warning', 'error'))
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
CREATE INDEX "audit_logs_tenant_time_idx" ON "audit_logs" USING btree ("tenant_id","occurred_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "audit_logs_tenant_resource_idx" ON "audit_logs" USING btree ("tenant_id","resource_type","resource_id","occurred_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "audit_logs_tenant_action_idx" ON "audit_logs" USING btree ("tenant_id","action","occurred_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "audit_logs_tenant_severity_idx" ON "audit_logs" USING btree ("tenant_id","severity","occurred_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "processing_failures_status_idx" ON "processing_failures" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "processing_failures_consumer_idx" ON "processing_failures" USING btree ("consumer","status","created_at");--> statement-breakpoint
CREATE INDEX "processing_failures_tenant_idx" ON "processing_failures" USING btree ("tenant_id","created_at");