import { hostname, tmpdir } from 'node:os';

// Listen addresses: every interface, on the ports upstream's sample.env and docs use
// (upstream's code default for SMPP was 2775, BUG-24; deployments use 9550).
export const DEFAULT_WEB_LISTEN = '0.0.0.0:3000';
export const DEFAULT_SMPP_LISTEN = '0.0.0.0:9550';
export const DEFAULT_MM4_LISTEN = '0.0.0.0:2566';
/** Prometheus' conventional path; upstream crashed when PROMETHEUS_PATH was unset (BUG-24). */
export const DEFAULT_PROMETHEUS_PATH = '/metrics';
/** Private networks, where load balancers and reverse proxies usually sit (upstream §2.1). */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];
/** Relative to the working directory, like upstream's ./transcode. */
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_LOG_LEVEL = 'info';

// PostgreSQL: libpq's own defaults; UTC rather than upstream's America/Vancouver so stored
// timestamps do not depend on where the author lived.
export const DEFAULT_POSTGRES_HOST = 'localhost';
export const DEFAULT_POSTGRES_PORT = 5432;
export const DEFAULT_POSTGRES_SSLMODE = 'disable';
export const DEFAULT_POSTGRES_TIMEZONE = 'UTC';

// Delivery: upstream's documented defaults (§2.3), which msggw actually honours.
export const DEFAULT_WEBHOOK_RETRIES = 3;
export const DEFAULT_WEBHOOK_TIMEOUT_SECS = 10;
export const DEFAULT_WEBHOOK_RETRY_DELAY_SECS = 5;
/**
 * Media inlined as base64 in one generic webhook: an MMS as US carriers pass it (1–1.2 MB) with
 * room (gomsggw's parts were ≤ 600 KB after transcoding), while 128 posts at once stay bounded.
 */
export const DEFAULT_WEBHOOK_MEDIA_BASE64_MAX_BYTES = 2 * 1024 * 1024;
/** Carrier sends: gomsggw retried 3 times (hard-coded); now a setting. */
export const DEFAULT_CARRIER_RETRIES = 3;
/** gomsggw's carrier HTTP timeout (§10). */
export const DEFAULT_CARRIER_TIMEOUT_SECS = 30;
/** First retry after 2 s, doubling: a 429 or 5xx usually clears within seconds. */
export const DEFAULT_CARRIER_RETRY_DELAY_SECS = 2;
export const DEFAULT_SMPP_RETRIES = 3;
/** Long enough for a slow ESME's enquire_link_resp over a congested link. */
export const DEFAULT_SMPP_TIMEOUT_SECS = 30;
/** deliver_sm in flight per session: Kannel's and most SMSCs' default window. */
export const DEFAULT_SMPP_WINDOW = 10;
/** Jasmin's enquireLinkTimerSecs; well inside the idle timeouts of load balancers and NAT tables. */
export const DEFAULT_SMPP_ENQUIRE_LINK_SECS = 30;
/** Jasmin's inactivityTimerSecs: a live ESME answers our enquire_link, so only a dead one is silent this long. */
export const DEFAULT_SMPP_INACTIVITY_SECS = 300;
/** Parts of a concatenated submit arrive within seconds; five minutes covers a client's retries. */
export const DEFAULT_SMPP_REASSEMBLY_TTL_SECS = 300;
/** Ten minutes: long enough that a locked-out guesser gains little by waiting, short for a client that fixed a typo. */
export const DEFAULT_LOGIN_FAILURE_WINDOW_SECS = 600;
/** Ten wrong passwords from one IP in the window is a brute force, not a typo. */
export const DEFAULT_LOGIN_FAILURES_PER_IP = 10;
/** A /24 or /64 is often one site or NAT pool with several clients: five IPs' worth. */
export const DEFAULT_LOGIN_FAILURES_PER_NETWORK = 50;
/** One username guessed from many networks (a botnet); its known sources are never refused by this. */
export const DEFAULT_LOGIN_FAILURES_PER_USER = 20;
/** Every failed login is answered this long after it arrived: hides which check failed, slows guessing. */
export const DEFAULT_LOGIN_FAILURE_DELAY_MS = 500;
/** Kubernetes' default terminationGracePeriodSeconds; compose and the chart give 60 s around it. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECS = 30;
/** A client interleaving this many long messages at once is far past any ESME's window. */
export const DEFAULT_SMPP_REASSEMBLY_MAX_SETS = 1000;
/** 8 MiB of waiting part text per client: ~50,000 full GSM-7 parts, small next to a node's heap. */
export const DEFAULT_SMPP_REASSEMBLY_MAX_BYTES = 8 * 1024 * 1024;
/** Messages wait 72 h for an offline SMPP client (SMPP validity periods are often 48 h). */
export const DEFAULT_SMPP_QUEUE_MAX_AGE_SECS = 72 * 3600;
/**
 * SMPP_MAX_DELIVER: every delivery of an SMPP job counts, also the ones that only wait (a
 * client throttling for up to a minute per delivery, a bind lost mid-job, the queue sweeper's
 * look); 200 covers hours of that, while a job that always fails is still given up.
 */
export const DEFAULT_SMPP_MAX_DELIVER = 200;
/**
 * Messages queued for an SMPP client with no receiving bind anywhere move to its failover after
 * this long: upstream retried for about 30 s before giving up, and a restarting PBX re-binds
 * within it (new messages go to the failover at once).
 */
export const DEFAULT_SMPP_FAILOVER_GRACE_SECS = 30;
/** Jasmin's sessionInitTimerSecs: an ESME binds within a second of connecting; a silent socket is not one. */
export const DEFAULT_SMPP_BIND_TIMEOUT_SECS = 30;
/** Open SMPP connections per node: far above the binds a node serves, far below its file descriptors. */
export const DEFAULT_SMPP_MAX_CONNECTIONS = 1_000;
/** Open SMPP connections per client IP: a few clients' binds behind one NAT, never the whole node. */
export const DEFAULT_SMPP_MAX_CONNECTIONS_PER_IP = 50;
export const DEFAULT_MM4_RETRIES = 3;
/** MMS carry media; an SMTP DATA phase with a few hundred KB needs more time than SMS. */
export const DEFAULT_MM4_TIMEOUT_SECS = 60;
/**
 * 10 MiB of SMTP DATA (base64 inflates media by a third): above every carrier's MMS limit
 * (Twilio's 5 MB is the largest) with room for transcoding, far below a 20 MB attachment.
 */
export const DEFAULT_MM4_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Open MM4 (SMTP) connections per node: MMSCs keep a handful each. */
export const DEFAULT_MM4_MAX_CONNECTIONS = 200;
/** Open MM4 connections per peer IP: an MMSC's sending pool, not the node's whole capacity. */
export const DEFAULT_MM4_MAX_CONNECTIONS_PER_IP = 20;
/** An SMTP peer silent this long is disconnected (smtp-server's own default, now explicit). */
export const DEFAULT_MM4_SOCKET_TIMEOUT_SECS = 60;
/** Open HTTP connections per node: far above a busy node's keep-alive pools, below common fd limits. */
export const DEFAULT_WEB_MAX_CONNECTIONS = 5_000;
/** Open HTTP connections per client IP (TRUSTED_PROXIES exempt): a load test's pool fits, one host cannot take all. */
export const DEFAULT_WEB_MAX_CONNECTIONS_PER_IP = 500;
/** Upstream always notified; keep that unless an operator turns it off. */
export const DEFAULT_NOTIFY_SENDER_ON_FAILURE = true;
/**
 * INGRESS_DEDUP_HOURS: how long a caller's own key (a carrier's message id, an MMSC's forward id
 * and recipient) is remembered once its message is stored, so a late repeat enters once.
 */
export const DEFAULT_INGRESS_DEDUP_HOURS = 6;
/**
 * INGRESS_FIRST_AT: with this many messages being stored on a node at once its callers are
 * waiting (a full SMPP window is 10–100), so its carrier and webhook sends yield to them, down to
 * INGRESS_FIRST_FLOOR at once, until the count falls to a quarter (internal/egress/ingress-first.ts).
 */
export const DEFAULT_INGRESS_FIRST_AT = 64;
export const DEFAULT_INGRESS_FIRST_FLOOR = 16;
export const DEFAULT_AUTO_REPLY_ENABLED = false;
export const DEFAULT_HAPROXY_PROXY_PROTOCOL = false;

/** Secrets shorter than this get a start-up warning (32 chars ≈ the AES-256 key size). */
export const MIN_STRONG_SECRET_CHARS = 32;
/** Entropy of generated secrets: 256 bits, a full AES-256 key. */
export const GENERATED_SECRET_BYTES = 32;
export const SECRETS_FILE_NAME = 'secrets.json';
/** The embedded store's directory inside DATA_DIR. */
export const PGLITE_DIR_NAME = 'pglite';

/** Host-dependent defaults, read when loading so tests see the real machine. */
export function hostDefaults(): { hostname: string; tmpdir: string } {
  return { hostname: hostname(), tmpdir: tmpdir() };
}

// Media. Upstream kept media 7 days, cleaned every 15 minutes, fetched with a 30 s
// timeout and refused inputs over 10 MB (upstream-behaviour.md Appendix A).
export const DEFAULT_MEDIA_TTL_DAYS = 7;
export const DEFAULT_MEDIA_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MEDIA_CLEANUP_INTERVAL_SECS = 15 * 60;
export const DEFAULT_MEDIA_FETCH_TIMEOUT_SECS = 30;
/** Two jobs per node keep both cores of a small node busy (sharp and ffmpeg use their own threads). */
export const DEFAULT_TRANSCODE_CONCURRENCY = 2;
/** A 30 s clip transcodes in a few seconds here (environment.md §8); a minute bounds a stuck ffmpeg. */
export const DEFAULT_TRANSCODE_TIMEOUT_SECS = 60;

/**
 * BUS_MAX_DELIVER: deliveries of one message by any stage before it is dead-lettered (a stage's
 * own retries, e.g. CARRIER_RETRIES, are added when larger). With a throwing handler's backoff
 * (1 s doubling to 30 s) 20 deliveries span about 8 minutes: a short outage is ridden out,
 * a poison message stops looping.
 */
export const DEFAULT_BUS_MAX_DELIVER = 20;
/** STREAM_MAX_AGE_HOURS: backstop age of the stages without a client queue (a week). */
export const DEFAULT_STREAM_MAX_AGE_HOURS = 7 * 24;
/** DEAD_LETTER_MAX_AGE_HOURS: dead letters are kept two weeks for an operator to replay. */
export const DEFAULT_DEAD_LETTER_MAX_AGE_HOURS = 14 * 24;
/** DEAD_LETTER_MAX_MB: at most 1 GiB of dead letters (the oldest go first). */
export const DEFAULT_DEAD_LETTER_MAX_MB = 1024;

/** Most recipients in one batch (internal/batch; upstream allowed 10,000). */
export const DEFAULT_BATCH_MAX_MESSAGES = 100_000;
/** A batch worker silent this long (its node died) loses its batch to another node. */
export const DEFAULT_BATCH_LEASE_SECS = 30;
/** Batches one node sends at once. */
export const DEFAULT_BATCH_CONCURRENCY = 4;
