package adopt

import "testing"

func TestCompareVersions(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1", "1", 0},
		{"0003", "3", 0},
		{"1.0", "1", 0},
		{"1_1", "1.1", 0},
		{"1.1", "1.10", -1},
		{"2", "10", -1},
		{"20230114093000", "20230201120000", -1},
		{"123456789012345678901234567890", "99", 1},
		{"1.2.3", "1.2", 1},
		{"1.a", "1.1", 1},
		{"1.a", "1.b", -1},
	} {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		if (versionKey(tt.a) == versionKey(tt.b)) != (tt.want == 0) {
			t.Errorf("versionKey(%q) = %q, versionKey(%q) = %q", tt.a, versionKey(tt.a), tt.b, versionKey(tt.b))
		}
	}
}
