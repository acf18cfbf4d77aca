package shells_test

// The cost of rendering and checking each shell's code.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nixld/nixld/shells"
)

// BenchmarkExport renders and parses the export of a NixOS-sized PATH.
func BenchmarkExport(b *testing.B) {
	var dirs []string
	for i := range 500 {
		dirs = append(dirs, fmt.Sprintf("/nix/store/%032d-package-%d/bin", i, i))
	}
	ops := []shells.Op{{Name: "PATH", Value: strings.Join(dirs, ":")}, {Name: "_NIXLD_STATE", Value: `2:{"root":"/x"}`}}
	for _, sh := range []shells.Shell{shells.Bash, shells.Zsh} {
		b.Run(sh.Name(), func(b *testing.B) {
			for range b.N {
				if _, err := shells.Export(sh, ops); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
