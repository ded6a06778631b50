// Package notify delivers alert notifications: one sender per channel type (webhook with an
// HMAC-SHA256 signature, email over SMTP with optional STARTTLS, Slack-compatible incoming
// webhook, Telegram bot), the asynq handler of tasks.TypeNotify that sends one delivery
// exactly once (claimed by its key, retried with backoff, logged), and the channel service the
// API uses (validation, write-only secrets sealed at rest — a webhook's URL credentials, query
// and header values included —, "send test"). Every sender goes through one DestinationPolicy
// (loopback and link-local denied unless WARDOPS_NOTIFY_ALLOW lists them, checked at write time
// and in the dialer; no redirects; only the status line of a failed answer is kept).
package notify
