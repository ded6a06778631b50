package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/store"
)

// Regions and branches: admins write, viewers read. A device names its branch; a branch its
// region, by name (case-insensitive), as the device JSON does.

func (s *Server) placeRoutes() {
	g := s.V1
	g.GET("/regions", s.listRegions, s.viewer())
	g.POST("/regions", s.createRegion, s.admin())
	g.GET("/regions/:id", s.getRegion, s.viewer())
	g.PATCH("/regions/:id", s.patchRegion, s.admin())
	g.DELETE("/regions/:id", s.deleteRegion, s.admin())
	g.GET("/branches", s.listBranches, s.viewer())
	g.POST("/branches", s.createBranch, s.admin())
	g.GET("/branches/:id", s.getBranch, s.viewer())
	g.PATCH("/branches/:id", s.patchBranch, s.admin())
	g.DELETE("/branches/:id", s.deleteBranch, s.admin())
}

type regionBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (b regionBody) apply(in *store.RegionInput) error {
	var err error
	if b.Name != nil {
		if in.Name, err = placeName(*b.Name); err != nil {
			return err
		}
	}
	if b.Description != nil {
		if in.Description, err = longText("description", *b.Description); err != nil {
			return err
		}
	}
	return nil
}

// placeName checks a region or branch name: required, one line, at most 100 characters.
func placeName(v string) (string, error) {
	v, err := inventory.Text("name", v)
	if err != nil {
		return "", fieldError(err)
	}
	if v == "" {
		return "", badRequest("name", "name is required")
	}
	return v, nil
}

// longText checks a free-text field of up to 1,000 characters (addresses, contacts).
func longText(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if len([]rune(v)) > 1000 {
		return "", badRequest(field, "%s is longer than 1000 characters", field)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }) {
		return "", badRequest(field, "%s contains control characters", field)
	}
	return v, nil
}

// saveRegion creates (id 0) or patches a region; the API and the CLI share it.
func (s *Server) saveRegion(ctx context.Context, id int64, b regionBody) (store.Region, error) {
	var in store.RegionInput
	if id != 0 {
		cur, err := s.p.Store.GetRegion(ctx, id)
		if err != nil {
			return cur, storeError(err, "region", id)
		}
		in = store.RegionInput{Name: cur.Name, Description: cur.Description}
	} else if b.Name == nil {
		return store.Region{}, badRequest("name", "name is required")
	}
	if err := b.apply(&in); err != nil {
		return store.Region{}, err
	}
	r, err := s.p.Store.SaveRegion(ctx, id, in)
	if err != nil {
		return r, storeError(err, "region", in.Name)
	}
	return r, nil
}

func (s *Server) listRegions(c *echo.Context) error {
	rs, err := s.p.Store.ListRegions(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"regions": orEmpty(rs)})
}

func (s *Server) getRegion(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := s.p.Store.GetRegion(c.Request().Context(), id)
	if err != nil {
		return storeError(err, "region", id)
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) createRegion(c *echo.Context) error {
	var b regionBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return badRequest("name", "name is required")
	}
	r, err := s.saveRegion(c.Request().Context(), 0, b)
	if err != nil {
		return err
	}
	s.record(c, "region.create", "region", r.ID, nil, r)
	return c.JSON(http.StatusCreated, r)
}

func (s *Server) patchRegion(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var b regionBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetRegion, id)
	r, err := s.saveRegion(c.Request().Context(), id, b)
	if err != nil {
		return err
	}
	s.record(c, "region.update", "region", id, before, r)
	return c.JSON(http.StatusOK, r)
}

func (s *Server) deleteRegion(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetRegion, id)
	if err := s.p.Store.DeleteRegion(c.Request().Context(), id); err != nil {
		return storeError(err, "region", id)
	}
	s.record(c, "region.delete", "region", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}

// branchBody is a branch create (name required) or patch. Region names the region ("" or
// null: none); the coordinates go together.
type branchBody struct {
	Name      *string  `json:"name"`
	Region    *string  `json:"region"`
	Address   *string  `json:"address"`
	Latitude  optFloat `json:"latitude"`
	Longitude optFloat `json:"longitude"`
	ISP       *string  `json:"isp"`
	CircuitID *string  `json:"circuit_id"`
	Contacts  *string  `json:"contacts"`
	TimeZone  *string  `json:"time_zone"`
	ProfileID optID    `json:"profile_id"`
}

// optFloat is a nullable number that remembers whether it was given.
type optFloat struct {
	Set bool
	V   *float64
}

func (o *optFloat) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.V = nil
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[optFloat]()}
	}
	o.V = &v
	return nil
}

// ExpectedJSON describes a valid value in the decoder's errors.
func (optFloat) ExpectedJSON() string { return "a number or null" }

// apply merges the body onto in and validates it; regionID resolves a region name.
func (b branchBody) apply(ctx context.Context, in *store.BranchInput, regionID func(context.Context, string) (*int64, error)) error {
	var err error
	if b.Name != nil {
		if in.Name, err = placeName(*b.Name); err != nil {
			return err
		}
	}
	if b.Region != nil {
		if in.RegionID, err = regionID(ctx, *b.Region); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name     string
		src, dst *string
	}{{"address", b.Address, &in.Address}, {"isp", b.ISP, &in.ISP}, {"circuit_id", b.CircuitID, &in.CircuitID}, {"contacts", b.Contacts, &in.Contacts}} {
		if f.src != nil {
			if *f.dst, err = longText(f.name, *f.src); err != nil {
				return err
			}
		}
	}
	if b.Latitude.Set {
		in.Latitude = b.Latitude.V
	}
	if b.Longitude.Set {
		in.Longitude = b.Longitude.V
	}
	if b.TimeZone != nil {
		in.TimeZone = strings.TrimSpace(*b.TimeZone)
	}
	if b.ProfileID.Set {
		in.ProfileID = b.ProfileID.ID
	}
	return validateBranch(*in)
}

func validateBranch(in store.BranchInput) error {
	switch {
	case (in.Latitude == nil) != (in.Longitude == nil):
		return badRequest("latitude", "latitude and longitude go together: give both or neither")
	case in.Latitude != nil && (*in.Latitude < -90 || *in.Latitude > 90):
		return badRequest("latitude", "latitude must be from -90 to 90")
	case in.Longitude != nil && (*in.Longitude < -180 || *in.Longitude > 180):
		return badRequest("longitude", "longitude must be from -180 to 180")
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "" || in.TimeZone == "Local" {
		return badRequest("time_zone", "time_zone %q is not an IANA time zone name (e.g. Europe/Zurich, UTC)", in.TimeZone)
	}
	return nil
}

// regionID finds a region by name (case-insensitive); "" is no region.
func (s *Server) regionID(ctx context.Context, name string) (*int64, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, nil
	}
	rs, err := s.p.Store.ListRegions(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if strings.EqualFold(r.Name, name) {
			return &r.ID, nil
		}
	}
	return nil, badRequest("region", "region %q does not exist; create it first (POST /api/v1/regions or `api region create`)", name)
}

// saveBranch creates (id 0) or patches a branch; the API and the CLI share it.
func (s *Server) saveBranch(ctx context.Context, id int64, b branchBody) (store.Branch, error) {
	in := store.BranchInput{TimeZone: "UTC"}
	if id != 0 {
		cur, err := s.p.Store.GetBranch(ctx, id)
		if err != nil {
			return cur, storeError(err, "branch", id)
		}
		in = store.BranchInput{Name: cur.Name, RegionID: cur.RegionID, Address: cur.Address, Latitude: cur.Latitude,
			Longitude: cur.Longitude, ISP: cur.ISP, CircuitID: cur.CircuitID, Contacts: cur.Contacts, TimeZone: cur.TimeZone, ProfileID: cur.ProfileID}
	} else if b.Name == nil {
		return store.Branch{}, badRequest("name", "name is required")
	}
	if err := b.apply(ctx, &in, s.regionID); err != nil {
		return store.Branch{}, err
	}
	out, err := s.p.Store.SaveBranch(ctx, id, in)
	if err != nil {
		return out, storeError(err, "branch", in.Name)
	}
	return out, nil
}

func (s *Server) listBranches(c *echo.Context) error {
	ctx := c.Request().Context()
	var rid int64
	if v := c.QueryParam("region"); v != "" {
		id, err := s.regionID(ctx, v)
		if err != nil {
			return err
		}
		rid = *id
	}
	bs, err := s.p.Store.ListBranches(ctx, rid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"branches": orEmpty(bs)})
}

func (s *Server) getBranch(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := s.p.Store.GetBranch(c.Request().Context(), id)
	if err != nil {
		return storeError(err, "branch", id)
	}
	return c.JSON(http.StatusOK, b)
}

func (s *Server) createBranch(c *echo.Context) error {
	var b branchBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return badRequest("name", "name is required")
	}
	out, err := s.saveBranch(c.Request().Context(), 0, b)
	if err != nil {
		return err
	}
	s.record(c, "branch.create", "branch", out.ID, nil, out)
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) patchBranch(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var b branchBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetBranch, id)
	out, err := s.saveBranch(c.Request().Context(), id, b)
	if err != nil {
		return err
	}
	s.record(c, "branch.update", "branch", id, before, out)
	return c.JSON(http.StatusOK, out)
}

func (s *Server) deleteBranch(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetBranch, id)
	err = s.p.Store.DeleteBranch(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("branch", id)
	}
	if err != nil {
		return storeError(err, "branch", id)
	}
	s.record(c, "branch.delete", "branch", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}
