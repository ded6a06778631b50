package auth

import (
	"context"
	"fmt"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
)

// BootstrapUsername is the admin Bootstrap creates.
const BootstrapUsername = "admin"

// Bootstrap creates the user "admin" (role admin) with adminPassword when no user exists yet,
// and reports whether it did. Call it at API start with WARDOPS_ADMIN_PASSWORD; with users
// present the password is ignored (change it with `api user passwd admin`). With no users and
// no password it logs how to create one and returns false.
func (s *Service) Bootstrap(ctx context.Context, adminPassword string) (bool, error) {
	if adminPassword == "" {
		n, err := s.store.CountUsers(ctx)
		if err != nil {
			return false, fmt.Errorf("bootstrap: %w", err)
		}
		if n == 0 {
			s.log.WarnContext(ctx, "no users: set WARDOPS_ADMIN_PASSWORD or run `api user add NAME --role admin`")
		}
		return false, nil
	}
	if err := CheckPasswordPolicy(adminPassword); err != nil {
		return false, fmt.Errorf("bootstrap: WARDOPS_ADMIN_PASSWORD: %w", err)
	}
	hash, err := s.hash(ctx, adminPassword)
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	created, err := s.store.CreateFirstUser(ctx, store.User{Username: BootstrapUsername, Role: RoleAdmin.String(), PasswordHash: hash})
	if err != nil || !created {
		return false, err
	}
	u, err := s.store.UserByName(ctx, BootstrapUsername)
	if err != nil {
		return true, fmt.Errorf("bootstrap: %w", err)
	}
	s.log.InfoContext(ctx, "bootstrap admin created", "user", BootstrapUsername)
	s.record(ctx, audit.Entry{Action: "user.create", TargetType: "user", TargetID: idStr(u.ID), After: userView(u),
		Actor: &audit.Actor{Name: "bootstrap", Via: audit.ViaSystem}, Detail: map[string]string{"source": "WARDOPS_ADMIN_PASSWORD"}})
	return true, nil
}
