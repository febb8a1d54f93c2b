// Test-only access to similar::Index internals. Not for production code.
#pragma once

#include "similar/index.h"

namespace isnad::similar {

struct IndexTestPeer {
  // From the next Build on, `index` builds its tables whatever its size, and Query probes them
  // for every radius instead of scanning when a scan would be cheaper: so that small test
  // sets exercise the tables at every radius.
  static void ForceTables(Index& index);
};

}  // namespace isnad::similar
