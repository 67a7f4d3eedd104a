CREATE TABLE "projection_rebuilds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"projection" text NOT NULL,
	"state" text NOT NULL,
	"from" jsonb NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"target" bigint NOT NULL,
	"position" bigint DEFAULT 0 NOT NULL,
	"processed" bigint DEFAULT 0 NOT NULL,
	"total" bigint DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
