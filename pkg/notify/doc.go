// Package notify delivers alert notifications: one sender per channel type (webhook with an
// HMAC-SHA256 signature, email over SMTP with optional STARTTLS, Slack-compatible incoming
// webhook, Telegram bot), the asynq handler of tasks.TypeNotify that sends one delivery
// exactly once (claimed by its key, retried with backoff, logged), and the channel service the
// API uses (validation, write-only secrets sealed at rest, "send test").
package notify
