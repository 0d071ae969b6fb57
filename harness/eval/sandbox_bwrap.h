// How bubblewrap runs the driver: the sandbox's view of the host and the whole
// command line. Why each option is there: bwrap_command in sandbox_bwrap.cpp.
#pragma once

#include <string>
#include <vector>

#include "harness/eval/sandbox.h"

namespace moebench::eval {

// The interpreter is looked up here only: the sandbox sees /usr, not $HOME.
inline const char* const kSystemPath = "/usr/local/bin:/usr/bin:/bin";

// bwrap's view of the host: /usr read-only, and /bin, /lib... as they are on the
// host (symlinks into /usr on merged-/usr Debian 12, directories elsewhere).
std::vector<std::string> bwrap_mounts();

// The whole bwrap command line. The child gets the driver's data file on fd 3
// (it appears as /sandbox/program), bwrap's --info-fd on fd 4, and passes fd 5
// (sandbox_driver.h) and stdin through to the driver.
std::vector<std::string> bwrap_command(const std::string& bwrap,
                                       const std::vector<std::string>& mounts,
                                       const std::string& python, const SandboxLimits& limits);

}  // namespace moebench::eval
