package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/cache"
	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// ProfileSNMP keeps monitoring profiles' SNMP defaults (credentials sealed like a device's,
// secrets write-only; extra/vendor OIDs as data); *snmp.Service implements it.
type ProfileSNMP interface {
	ProfileSettings(ctx context.Context, profileID int64) (*snmp.ProfileSettings, error)
	PutProfileSettings(ctx context.Context, profileID int64, in snmp.ProfileSettings) (snmp.ProfileSettings, error)
	DeleteProfileSettings(ctx context.Context, profileID int64) error
}

var _ ProfileSNMP = (*snmp.Service)(nil)

// profileView is a profile as the API answers it: the ping settings and the SNMP defaults.
type profileView struct {
	store.Profile
	SNMP *snmp.ProfileSettings `json:"snmp"`
}

// profileBody is a profile create (name required) or patch (every field optional).
type profileBody struct {
	Name            *string   `json:"name"`
	PingCount       *int      `json:"ping_count"`
	PingIntervalMS  *int      `json:"ping_interval_ms"`
	PingTimeoutMS   *int      `json:"ping_timeout_ms"`
	DegradedLossPct *float64  `json:"degraded_loss_pct"`
	DeviceTypes     *[]string `json:"device_types"`
	// WindowCycles, RecoverLossPct and RoleAliasPattern: the degraded verdict's window and
	// recovery threshold (docs/STATUS.md) and the interface-role pattern (docs/ALERTING.md);
	// recover_loss_pct null is half the degraded threshold.
	WindowCycles     *int     `json:"window_cycles"`
	RecoverLossPct   optFloat `json:"recover_loss_pct"`
	RoleAliasPattern *string  `json:"role_alias_pattern"`
	// SNMP sets the profile's SNMP defaults (null removes them; absent keeps them).
	SNMP presentJSON `json:"snmp"`
}

// apply merges the body onto p and validates the result.
func (b profileBody) apply(p *store.Profile) error {
	var err error
	if b.Name != nil {
		if p.Name, err = inventory.Name(*b.Name); err != nil {
			return fieldError(err)
		}
	}
	setInt := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	setInt(&p.PingCount, b.PingCount)
	setInt(&p.PingIntervalMS, b.PingIntervalMS)
	setInt(&p.PingTimeoutMS, b.PingTimeoutMS)
	if b.DegradedLossPct != nil {
		p.DegradedLossPct = *b.DegradedLossPct
	}
	setInt(&p.WindowCycles, b.WindowCycles)
	if err := b.applyVerdict(p); err != nil {
		return err
	}
	if b.DeviceTypes != nil {
		p.DeviceTypes = []string{}
		for _, t := range *b.DeviceTypes {
			v, err := inventory.Text("device_types", t)
			if err != nil {
				return fieldError(err)
			}
			if v == "" {
				return badRequest("device_types", "device_types holds an empty type")
			}
			p.DeviceTypes = append(p.DeviceTypes, v)
		}
	}
	return validateProfile(*p)
}

// applyVerdict merges recover_loss_pct (a number, or null for the default) and the role pattern.
func (b profileBody) applyVerdict(p *store.Profile) error {
	if b.RecoverLossPct.Set {
		p.RecoverLossPct = b.RecoverLossPct.V
	}
	if b.RoleAliasPattern != nil {
		if _, err := alert.CompileRolePattern("role_alias_pattern", *b.RoleAliasPattern); err != nil {
			return badRequest("role_alias_pattern", "%s", err.Error())
		}
		p.RoleAliasPattern = *b.RoleAliasPattern
	}
	return nil
}

// validateProfile checks the ranges the worker and the schema accept.
func validateProfile(p store.Profile) error {
	switch {
	case p.PingCount < 1 || p.PingCount > 20:
		return badRequest("ping_count", "ping_count must be from 1 to 20 echo requests")
	case p.PingIntervalMS < 10 || p.PingIntervalMS > 10000:
		return badRequest("ping_interval_ms", "ping_interval_ms must be from 10 to 10000 (ms between echo requests)")
	case p.PingTimeoutMS < 50 || p.PingTimeoutMS > 30000:
		return badRequest("ping_timeout_ms", "ping_timeout_ms must be from 50 to 30000")
	case p.DegradedLossPct < 0 || p.DegradedLossPct >= 100:
		return badRequest("degraded_loss_pct", "degraded_loss_pct must be from 0 (any loss) to below 100 (100 %% loss is down)")
	case p.WindowCycles != 0 && (p.WindowCycles < 1 || p.WindowCycles > 30):
		return badRequest("window_cycles", "window_cycles must be from 1 (the verdict of each cycle alone) to 30")
	case p.RecoverLossPct != nil && (*p.RecoverLossPct < 0 || *p.RecoverLossPct > p.DegradedLossPct):
		return badRequest("recover_loss_pct", "recover_loss_pct must be from 0 to degraded_loss_pct (or null: half of it)")
	}
	return nil
}

// presentJSON is a field's raw JSON and whether the body had it at all: unlike a pointer, it
// tells `"snmp": null` (remove) from no "snmp" key (keep).
type presentJSON struct {
	Set bool
	Raw json.RawMessage
}

// UnmarshalJSON is called for every value of the field, null included.
func (p *presentJSON) UnmarshalJSON(b []byte) error {
	p.Set, p.Raw = true, append(json.RawMessage(nil), b...)
	return nil
}

// parseProfileSNMP reads the snmp field: nothing, remove (null), or put.
func (b profileBody) parseProfileSNMP(available bool) (set, remove bool, ps snmp.ProfileSettings, err error) {
	if !b.SNMP.Set {
		return false, false, ps, nil
	}
	if !available {
		return false, false, ps, badRequest("snmp", "SNMP is not available on this server")
	}
	if string(b.SNMP.Raw) == "null" {
		return true, true, ps, nil
	}
	if err := json.Unmarshal(b.SNMP.Raw, &ps); err != nil {
		var fe *snmp.FieldError
		if errors.As(err, &fe) && fe.Field != "" { // a credential refused while read (timeout_ms)
			return false, false, ps, profileSNMPError(err)
		}
		return false, false, ps, badRequest("snmp", "snmp: %v", err)
	}
	return true, false, ps, nil
}

func (s *Server) profileRoutes() {
	g := s.V1
	g.GET("/profiles", s.listProfiles, s.viewer())
	g.POST("/profiles", s.createProfile, s.admin())
	g.GET("/profiles/:id", s.getProfile, s.viewer())
	g.PATCH("/profiles/:id", s.patchProfile, s.admin())
	g.DELETE("/profiles/:id", s.deleteProfile, s.admin())
}

func (s *Server) profileView(ctx context.Context, p store.Profile) (profileView, error) {
	v := profileView{Profile: p}
	if s.p.ProfileSNMP != nil {
		ps, err := s.p.ProfileSNMP.ProfileSettings(ctx, p.ID)
		if err != nil {
			return v, err
		}
		v.SNMP = ps
	}
	return v, nil
}

func (s *Server) listProfiles(c *echo.Context) error {
	ctx := c.Request().Context()
	ps, err := s.p.Store.ListProfiles(ctx)
	if err != nil {
		return err
	}
	out := make([]profileView, 0, len(ps))
	for _, p := range ps {
		v, err := s.profileView(ctx, p)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"profiles": out})
}

func (s *Server) getProfile(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.p.Store.GetProfile(ctx, id)
	if err != nil {
		return storeError(err, "profile", id)
	}
	v, err := s.profileView(ctx, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) createProfile(c *echo.Context) error {
	var b profileBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return badRequest("name", "name is required")
	}
	return s.writeProfile(c, b, newProfile(), nil, http.StatusCreated)
}

func (s *Server) patchProfile(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var b profileBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	p, err := s.p.Store.GetProfile(c.Request().Context(), id)
	if err != nil {
		return storeError(err, "profile", id)
	}
	before, err := s.profileView(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return s.writeProfile(c, b, p, before, http.StatusOK)
}

// writeProfile answers saveProfile's result.
// The write is audited with the profile before (nil for a create) and after; the views carry
// no secret (the SNMP credentials show only which are set).
func (s *Server) writeProfile(c *echo.Context, b profileBody, p store.Profile, before any, status int) error {
	v, err := s.saveProfile(c.Request().Context(), b, p)
	if err != nil {
		return err
	}
	action := "profile.update"
	if before == nil {
		action = "profile.create"
	}
	s.record(c, action, "profile", v.ID, before, v)
	return c.JSON(status, v)
}

// saveProfile validates the merged profile, saves it and its SNMP defaults, and drops the
// workers' profile cache (pkg/cache, read by every ping batch). The API and the CLI share it.
func (s *Server) saveProfile(ctx context.Context, b profileBody, p store.Profile) (profileView, error) {
	if err := b.apply(&p); err != nil {
		return profileView{}, err
	}
	if err := s.profileFits(ctx, p); err != nil {
		return profileView{}, err
	}
	setSNMP, removeSNMP, ps, err := b.parseProfileSNMP(s.p.ProfileSNMP != nil)
	if err != nil {
		return profileView{}, err
	}
	if setSNMP && !removeSNMP {
		if err := validateProfileSNMP(ps); err != nil {
			return profileView{}, err
		}
	}
	created := p.ID == 0
	saved, err := s.p.Store.SaveProfile(ctx, p)
	if err != nil {
		return profileView{}, storeError(err, "profile", p.Name)
	}
	if err := s.applyProfileSNMP(ctx, saved.ID, setSNMP, removeSNMP, ps); err != nil {
		if created { // nothing half-created
			_ = s.p.Store.DeleteProfile(context.WithoutCancel(ctx), saved.ID)
		}
		return profileView{}, err
	}
	s.invalidateProfiles(ctx)
	return s.profileView(ctx, saved)
}

// newProfile is a profile create's starting point: the schema's defaults.
func newProfile() store.Profile {
	return store.Profile{PingCount: 3, PingIntervalMS: 10, PingTimeoutMS: 1000, DeviceTypes: []string{}}
}

// validateProfileSNMP checks the extra OIDs before anything is written (credentials are
// checked by PutProfileSettings after the stored secrets are merged).
func validateProfileSNMP(ps snmp.ProfileSettings) error {
	if _, err := snmp.NormalizeExtraOIDs(ps.ExtraOIDs); err != nil {
		return profileSNMPError(err)
	}
	return nil
}

func (s *Server) applyProfileSNMP(ctx context.Context, id int64, set, remove bool, ps snmp.ProfileSettings) error {
	switch {
	case !set:
		return nil
	case remove:
		return s.p.ProfileSNMP.DeleteProfileSettings(ctx, id)
	}
	_, err := s.p.ProfileSNMP.PutProfileSettings(ctx, id, ps)
	return profileSNMPError(err)
}

// profileSNMPError names SNMP fields under "snmp." ("snmp.credentials.community",
// "snmp.extra_oids[2].oid").
func profileSNMPError(err error) error {
	var fe *snmp.FieldError
	if errors.As(err, &fe) {
		field := fe.Field
		if !strings.HasPrefix(field, "extra_oids") {
			field = "credentials." + field
		}
		return badRequest("snmp."+field, "%s", fe.Error())
	}
	if err == nil {
		return nil
	}
	return snmpError(err, 0)
}

func (s *Server) deleteProfile(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var before any
	if p, err := s.p.Store.GetProfile(ctx, id); err == nil {
		if v, err := s.profileView(ctx, p); err == nil {
			before = v
		}
	}
	if err := s.p.Store.DeleteProfile(ctx, id); err != nil {
		return storeError(err, "profile", id)
	}
	s.record(c, "profile.delete", "profile", id, before, nil)
	s.invalidateProfiles(ctx)
	return c.NoContent(http.StatusNoContent)
}

// invalidateProfiles drops the cached profile list the workers read (they reload it at the
// next batch); a Redis failure only delays the change until the cache's TTL.
func (s *Server) invalidateProfiles(ctx context.Context) {
	if err := s.p.Redis.Del(ctx, cache.ProfilesKey).Err(); err != nil {
		s.p.Logger.Warn("invalidate profile cache", "err", err)
	}
}

// profileFits refuses ping settings whose ping of a device would not end before the next ping
// cycle is due (the stored ping interval, when the job is enabled).
func (s *Server) profileFits(ctx context.Context, p store.Profile) error {
	e, err := s.p.Store.GetScheduleEntry(ctx, tasks.TypePingCycle)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t := schedule.PingTiming{Count: p.PingCount, Spacing: time.Duration(p.PingIntervalMS) * time.Millisecond,
		Timeout: time.Duration(p.PingTimeoutMS) * time.Millisecond}
	var fe *schedule.FieldError
	if err := schedule.CheckProfile(p.Name, t, e); errors.As(err, &fe) {
		return badRequest(fe.Field, "%s", fe.Message)
	}
	return nil
}
