package audit

import (
	"context"
	"net/netip"
)

// Via values say how an actor authenticated.
const (
	ViaSession   = "session"
	ViaToken     = "token"
	ViaCLI       = "cli"
	ViaSystem    = "system"
	ViaAnonymous = "anonymous"
)

// Actor is who performed an action and from where. UserID is 0 for anonymous and system
// actors; TokenID is set when a bearer token was used.
type Actor struct {
	UserID   int64
	Name     string
	Via      string
	TokenID  int64
	ClientIP netip.Addr
}

type actorKey struct{}

// WithActor returns ctx carrying a, for Record to attribute entries.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, or an anonymous one.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Via: ViaAnonymous}
}
