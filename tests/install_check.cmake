# Checks `cmake --install`: run with -DBUILD=<build dir> -DPREFIX=<fresh folder>. Installs, then
# checks every promised file is there and the systemd unit keeps its hardening and stop timeout.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD}" --prefix "${PREFIX}"
                RESULT_VARIABLE result OUTPUT_QUIET)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${result}")
endif()
foreach(path bin/omsgw lib/systemd/system/omsgw.service share/doc/omsgw/README.md share/doc/omsgw/LICENSE
             share/doc/omsgw/CHANGELOG.md share/doc/omsgw/delivery.md share/doc/omsgw/samples/omsgw.json)
  if(NOT EXISTS "${PREFIX}/${path}")
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endforeach()
file(READ "${PREFIX}/lib/systemd/system/omsgw.service" unit)
foreach(line "User=omsgw" "NoNewPrivileges=yes" "ProtectSystem=strict" "Restart=on-failure"
             "TimeoutStopSec=10" "ExecStart=/usr/local/bin/omsgw serve")
  string(FIND "${unit}" "${line}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "omsgw.service lacks ${line}")
  endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
