package hook

// A project's nix packages, realised where it is entered.

import (
	"path/filepath"
	"strings"

	"github.com/nixld/nixld/nixpkgs"
)

// PackageRequest is how p's packages are built: their GC roots, cache and
// build log live beside its shims, keyed by the config's content.
func (d Dirs) PackageRequest(p *Project, cfg *Config, env Env) nixpkgs.Request {
	return nixpkgs.Request{
		Dir: filepath.Dir(d.ShimDir(p)), Key: p.Hash, Packages: cfg.Packages,
		Nixpkgs: cfg.Nixpkgs, Project: p.Real, Env: env.Environ(),
	}
}

// withPackages puts the library directories of cfg's packages in
// cfg.PackageLibs, building them with nix unless an earlier build of the
// same config is still there. On failure the project is entered without
// them, and the error says which attribute failed and where nix's words are.
func (d Dirs) withPackages(p *Project, cfg *Config, env Env) error {
	if len(cfg.Packages) == 0 {
		return nil
	}
	req := d.PackageRequest(p, cfg, env)
	libs, err := req.Realise()
	if err != nil {
		return oneLine(errorf(strings.ReplaceAll(err.Error(), req.LogFile(), d.Show(req.LogFile()))))
	}
	cfg.PackageLibs = libs
	return nil
}

// CachedPackages fills cfg.PackageLibs from an earlier build, without
// running nix, and reports whether there was one.
func (d Dirs) CachedPackages(p *Project, cfg *Config, env Env) bool {
	if len(cfg.Packages) == 0 {
		return true
	}
	libs, ok := d.PackageRequest(p, cfg, env).Cached()
	cfg.PackageLibs = libs
	return ok
}
