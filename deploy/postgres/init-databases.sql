-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d):
-- one database per service. Each service also creates its own database if it is missing,
-- and the migrations service applies the schemas.
CREATE DATABASE chom_site;
CREATE DATABASE chom_audit;
CREATE DATABASE chom_backup;
CREATE DATABASE chom_notification;
CREATE DATABASE chom_metrics;
