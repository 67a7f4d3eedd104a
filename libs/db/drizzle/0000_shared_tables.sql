CREATE TABLE "outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"event" jsonb NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_event_id_key" UNIQUE("event_id")
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
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE "outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_sent_at_idx" ON "outbox" USING btree ("sent_at") WHERE "outbox"."sent_at" is not null;--> statement-breakpoint
CREATE INDEX "processing_failures_status_idx" ON "processing_failures" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "processing_failures_consumer_idx" ON "processing_failures" USING btree ("consumer","status","created_at");--> statement-breakpoint
CREATE INDEX "processing_failures_tenant_idx" ON "processing_failures" USING btree ("tenant_id","created_at");