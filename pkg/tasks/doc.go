// Package tasks names the asynq task types, queues and payloads that every WardOps binary
// shares: the scheduler emits them, the API enqueues on-demand ones, the workers execute them.
// It has no I/O of its own so that any binary can import it cheaply.
package tasks
