/*
 * The inventory schema as docs/inventory.md shows it: one text for both
 * backends per version. CS_STORE_SCHEMA_V1 creates version 1 in an empty
 * database; CS_STORE_SCHEMA_V2 takes a version 1 database to version 2, and
 * so on, so that a fresh database runs them all in order. PK and BYTES
 * spell the two types that differ (an auto-increment key, binary data);
 * each backend creates schema_version itself, since the two record the
 * version differently while migrating.
 */
#ifndef CS_STORE_SCHEMA_H
#define CS_STORE_SCHEMA_H

#define CS_STORE_SCHEMA_V1(PK, BYTES)                                                              \
    "CREATE TABLE networks ("                                                                      \
    "  id                  " PK ","                                                                \
    "  name                TEXT NOT NULL UNIQUE,"                                                  \
    "  description         TEXT NOT NULL DEFAULT '',"                                              \
    "  ranges              TEXT NOT NULL,"                                                         \
    "  excludes            TEXT NOT NULL DEFAULT '',"                                              \
    "  ports               TEXT NOT NULL DEFAULT '443',"                                           \
    "  snis                TEXT NOT NULL DEFAULT '',"                                              \
    "  alert_to            TEXT NOT NULL DEFAULT '',"                                              \
    "  connect_timeout_ms  INTEGER NOT NULL,"                                                      \
    "  download_timeout_ms INTEGER NOT NULL,"                                                      \
    "  expiry_days         INTEGER NOT NULL,"                                                      \
    "  max_email_rows      INTEGER NOT NULL,"                                                      \
    "  auto_monitor        INTEGER NOT NULL DEFAULT 0,"                                            \
    "  enabled             INTEGER NOT NULL DEFAULT 1,"                                            \
    "  created_at          TEXT NOT NULL"                                                          \
    ");"                                                                                           \
    "CREATE TABLE jobs ("                                                                          \
    "  id                    " PK ","                                                              \
    "  network_id            BIGINT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"           \
    "  kind                  TEXT NOT NULL,"                                                       \
    "  state                 TEXT NOT NULL,"                                                       \
    "  started_at            TEXT NOT NULL,"                                                       \
    "  finished_at           TEXT,"                                                                \
    "  endpoints_scanned     BIGINT NOT NULL DEFAULT 0,"                                           \
    "  timed_out_connecting  BIGINT NOT NULL DEFAULT 0,"                                           \
    "  timed_out_downloading BIGINT NOT NULL DEFAULT 0,"                                           \
    "  connection_refused    BIGINT NOT NULL DEFAULT 0,"                                           \
    "  host_unreachable      BIGINT NOT NULL DEFAULT 0,"                                           \
    "  dns_failed            BIGINT NOT NULL DEFAULT 0,"                                           \
    "  not_ssl               BIGINT NOT NULL DEFAULT 0,"                                           \
    "  bad_ssl_handshake     BIGINT NOT NULL DEFAULT 0,"                                           \
    "  certificate_found     BIGINT NOT NULL DEFAULT 0,"                                           \
    "  report_json           TEXT"                                                                 \
    ");"                                                                                           \
    "CREATE INDEX jobs_network ON jobs(network_id);"                                               \
    "CREATE TABLE certificates ("                                                                  \
    "  sha256      TEXT PRIMARY KEY,"                                                              \
    "  subject     TEXT NOT NULL,"                                                                 \
    "  subject_cn  TEXT,"                                                                          \
    "  issuer      TEXT NOT NULL,"                                                                 \
    "  serial      TEXT NOT NULL,"                                                                 \
    "  not_before  TEXT,"                                                                          \
    "  not_after   TEXT,"                                                                          \
    "  sans        TEXT NOT NULL DEFAULT '[]',"                                                    \
    "  key_type    TEXT NOT NULL,"                                                                 \
    "  key_bits    INTEGER NOT NULL,"                                                              \
    "  sig_alg     TEXT NOT NULL,"                                                                 \
    "  self_signed INTEGER NOT NULL,"                                                              \
    "  der         " BYTES " NOT NULL,"                                                            \
    "  first_seen  TEXT NOT NULL"                                                                  \
    ");"                                                                                           \
    "CREATE INDEX certificates_not_after ON certificates(not_after);"                              \
    "CREATE TABLE endpoints ("                                                                     \
    "  id          " PK ","                                                                        \
    "  network_id  BIGINT NOT NULL REFERENCES networks(id) ON DELETE CASCADE,"                     \
    "  ip          TEXT NOT NULL,"                                                                 \
    "  port        INTEGER NOT NULL,"                                                              \
    "  sni         TEXT NOT NULL DEFAULT '',"                                                      \
    "  first_seen  TEXT NOT NULL,"                                                                 \
    "  last_seen   TEXT NOT NULL,"                                                                 \
    "  last_status TEXT NOT NULL,"                                                                 \
    "  last_reason TEXT NOT NULL,"                                                                 \
    "  cert_sha256 TEXT REFERENCES certificates(sha256),"                                          \
    "  monitored   INTEGER NOT NULL DEFAULT 0,"                                                    \
    "  last_job_id BIGINT REFERENCES jobs(id) ON DELETE SET NULL,"                                 \
    "  UNIQUE (network_id, ip, port, sni)"                                                         \
    ");"                                                                                           \
    "CREATE TABLE endpoint_history ("                                                              \
    "  id          " PK ","                                                                        \
    "  endpoint_id BIGINT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,"                    \
    "  job_id      BIGINT REFERENCES jobs(id) ON DELETE CASCADE,"                                  \
    "  probed_at   TEXT NOT NULL,"                                                                 \
    "  status      TEXT NOT NULL,"                                                                 \
    "  reason      TEXT NOT NULL,"                                                                 \
    "  cert_sha256 TEXT REFERENCES certificates(sha256)"                                           \
    ");"                                                                                           \
    "CREATE INDEX endpoint_history_endpoint ON endpoint_history(endpoint_id);"

/* Version 2: notifications. The durable outbox of messages to deliver, the
 * expiration alerts, and which certificate each alert reported when. */
#define CS_STORE_SCHEMA_V2(PK, BYTES)                                                              \
    "CREATE TABLE outbox ("                                                                        \
    "  id              " PK ","                                                                    \
    "  idem_key        TEXT NOT NULL UNIQUE,"                                                      \
    "  channel         TEXT NOT NULL,"                                                             \
    "  kind            TEXT NOT NULL,"                                                             \
    "  job_id          BIGINT REFERENCES jobs(id) ON DELETE SET NULL,"                             \
    "  payload         TEXT NOT NULL,"                                                             \
    "  state           TEXT NOT NULL DEFAULT 'pending',"                                           \
    "  attempts        INTEGER NOT NULL DEFAULT 0,"                                                \
    "  created_at      TEXT NOT NULL,"                                                             \
    "  next_attempt_at TEXT NOT NULL,"                                                             \
    "  last_attempt_at TEXT,"                                                                      \
    "  sent_at         TEXT,"                                                                      \
    "  last_error      TEXT NOT NULL DEFAULT ''"                                                   \
    ");"                                                                                           \
    "CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"                                   \
    "CREATE INDEX outbox_job ON outbox(job_id);"                                                   \
    "CREATE TABLE alerts ("                                                                        \
    "  id                " PK ","                                                                  \
    "  name              TEXT NOT NULL UNIQUE,"                                                    \
    "  days              INTEGER NOT NULL,"                                                        \
    "  network_id        BIGINT REFERENCES networks(id) ON DELETE CASCADE,"                        \
    "  recipients        TEXT NOT NULL DEFAULT '',"                                                \
    "  syslog            INTEGER NOT NULL DEFAULT 0,"                                              \
    "  subject           TEXT NOT NULL,"                                                           \
    "  body              TEXT NOT NULL,"                                                           \
    "  repeat_every_days INTEGER NOT NULL DEFAULT 0,"                                              \
    "  created_at        TEXT NOT NULL,"                                                           \
    "  last_run_at       TEXT"                                                                     \
    ");"                                                                                           \
    "CREATE TABLE alert_reports ("                                                                 \
    "  alert_id    BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,"                       \
    "  cert_sha256 TEXT NOT NULL,"                                                                 \
    "  reported_at TEXT NOT NULL,"                                                                 \
    "  PRIMARY KEY (alert_id, cert_sha256)"                                                        \
    ");"

/* Version 3: tickets and webhooks. The remote ticket of each problem in
 * each ticketing channel, not unique on (channel, key): a problem that comes
 * back after its ticket was closed gets a new row, and the newest row (the
 * highest id) is the current one. Alerts name the ticketing and webhook
 * channels they also go to ("ticketing.sdp webhook.oncall"), networks the
 * webhooks that get their job summaries ("oncall"); both space-separated,
 * '' for none. */
#define CS_STORE_SCHEMA_V3(PK, BYTES)                                                              \
    "CREATE TABLE tickets ("                                                                       \
    "  id            " PK ","                                                                      \
    "  channel       TEXT NOT NULL,"                                                               \
    "  key           TEXT NOT NULL,"                                                               \
    "  remote_id     TEXT NOT NULL,"                                                               \
    "  remote_number TEXT NOT NULL DEFAULT '',"                                                    \
    "  state         TEXT NOT NULL,"                                                               \
    "  opened_at     TEXT NOT NULL,"                                                               \
    "  updated_at    TEXT NOT NULL,"                                                               \
    "  closed_at     TEXT"                                                                         \
    ");"                                                                                           \
    "CREATE INDEX tickets_channel_key ON tickets(channel, key);"                                   \
    "ALTER TABLE alerts ADD COLUMN channels TEXT NOT NULL DEFAULT '';"                             \
    "ALTER TABLE networks ADD COLUMN webhooks TEXT NOT NULL DEFAULT '';"

/* Version 4: stored findings of vulnerability scans (vulnjob.h). One row per
 * (endpoint, check id): a finding seen again updates its row, one no longer
 * seen gets fixed_at, and one that comes back has fixed_at cleared. Times
 * are RFC 3339 text, severity its name ("high"); cve and cert_sha256 may be
 * NULL. jobs.kind takes 'vulnscan' as well, which needs no DDL. A network's
 * tickets name the [ticketing.NAME] sections its findings go to. */
#define CS_STORE_SCHEMA_V4(PK, BYTES)                                                              \
    "CREATE TABLE findings ("                                                                      \
    "  id          " PK ","                                                                        \
    "  endpoint_id BIGINT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,"                    \
    "  check_id    TEXT NOT NULL,"                                                                 \
    "  severity    TEXT NOT NULL,"                                                                 \
    "  title       TEXT NOT NULL,"                                                                 \
    "  detail      TEXT NOT NULL DEFAULT '',"                                                      \
    "  cve         TEXT,"                                                                          \
    "  cert_sha256 TEXT,"                                                                          \
    "  first_seen  TEXT NOT NULL,"                                                                 \
    "  last_seen   TEXT NOT NULL,"                                                                 \
    "  fixed_at    TEXT,"                                                                          \
    "  job_id      BIGINT REFERENCES jobs(id) ON DELETE SET NULL,"                                 \
    "  UNIQUE (endpoint_id, check_id)"                                                             \
    ");"                                                                                           \
    "CREATE INDEX findings_job ON findings(job_id);"                                               \
    "ALTER TABLE networks ADD COLUMN tickets TEXT NOT NULL DEFAULT '';"

/* Version 5: what `certsweep serve` needs. Each network's schedules of
 * discovery, monitoring and vulnscan and its quiet hours (schedule.h; ''
 * for none), each alert's schedule, a job's progress as of its last commit,
 * and the bearer tokens of the REST API, of which only the SHA-256 (hex) is
 * kept. The index serves cs_store_job_latest(), which the scheduler asks
 * for every network and kind. */
#define CS_STORE_SCHEMA_V5(PK, BYTES)                                                              \
    "ALTER TABLE networks ADD COLUMN discover_every TEXT NOT NULL DEFAULT '';"                     \
    "ALTER TABLE networks ADD COLUMN monitor_every TEXT NOT NULL DEFAULT '';"                      \
    "ALTER TABLE networks ADD COLUMN vulnscan_every TEXT NOT NULL DEFAULT '';"                     \
    "ALTER TABLE networks ADD COLUMN quiet_hours TEXT NOT NULL DEFAULT '';"                        \
    "ALTER TABLE networks ADD COLUMN revocation INTEGER NOT NULL DEFAULT 0;"                       \
    "ALTER TABLE alerts ADD COLUMN run_every TEXT NOT NULL DEFAULT '';"                            \
    "ALTER TABLE jobs ADD COLUMN progress_done BIGINT NOT NULL DEFAULT 0;"                         \
    "ALTER TABLE jobs ADD COLUMN progress_total BIGINT NOT NULL DEFAULT 0;"                        \
    "CREATE INDEX jobs_network_kind ON jobs(network_id, kind);"                                    \
    "CREATE TABLE api_tokens ("                                                                    \
    "  id           " PK ","                                                                       \
    "  name         TEXT NOT NULL UNIQUE,"                                                         \
    "  sha256       TEXT NOT NULL UNIQUE,"                                                         \
    "  created_at   TEXT NOT NULL,"                                                                \
    "  last_used_at TEXT"                                                                          \
    ");"

#endif
