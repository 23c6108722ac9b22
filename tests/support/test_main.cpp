// The one doctest main shared by every test executable.
//
// A test that needs other processes (the guard across processes, a child killed
// with SIGKILL, a child that segfaults) re-executes its own binary with
// `--child ROLE ARGS...`; roles are registered with MEMEGEN_TEST_CHILD.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "child_process.hpp"

int main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[1], "--child") == 0) {
        return memegen::test::run_child_role(argv[2],
                                             std::vector<std::string>(argv + 3, argv + argc));
    }
    doctest::Context context(argc, argv);
    return context.run();
}
