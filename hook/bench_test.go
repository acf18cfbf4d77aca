package hook

// The cost of entering a project, for a short and a NixOS dev shell's PATH.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkEnter is the work of entering a project (shims written, PATH
// and LD_LIBRARY_PATH computed) for a PATH of /usr/bin and n more
// directories of 20 programs each: a NixOS dev shell's PATH.
func BenchmarkEnter(b *testing.B) {
	for _, n := range []int{0, 500} {
		b.Run(map[int]string{0: "default", 500: "path+500"}[n], func(b *testing.B) {
			root := b.TempDir()
			dirs := []string{"/usr/local/bin", "/usr/bin", "/bin"}
			for i := range n {
				d := filepath.Join(root, "store", strings.Repeat("x", 32)+"-"+string(rune('a'+i%26))+strings.Repeat("y", i/26), "bin")
				os.MkdirAll(d, 0o755)
				for j := range 20 {
					os.WriteFile(filepath.Join(d, "tool"+string(rune('a'+j))), nil, 0o755)
				}
				dirs = append(dirs, d)
			}
			d := Dirs{Data: filepath.Join(root, "data"), State: filepath.Join(root, "state"), Home: root}
			os.MkdirAll(filepath.Join(root, "proj"), 0o755)
			os.WriteFile(filepath.Join(root, "proj", ConfigName), nil, 0o644)
			p, err := Load(filepath.Join(root, "proj"))
			if err != nil {
				b.Fatal(err)
			}
			d.Allow(p)
			env := Env{"PATH": strings.Join(dirs, ":"), NixLDVar: "/n"}
			b.ResetTimer()
			for range b.N {
				if r := Export(d, nil, env, p.Dir); len(r.Ops) == 0 {
					b.Fatal(r.Messages)
				}
			}
		})
	}
}
