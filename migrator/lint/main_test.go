package lint

import (
	"os"
	"testing"

	"github.com/pgmig/pgmig/migrator/migratortest"
)

func TestMain(m *testing.M) { os.Exit(migratortest.Main(m)) }
