# SPDX-License-Identifier: MIT
# `cpack -G DEB` in the build folder makes two Debian packages:
#   resync-mon      the binary, the bundled plugins, the systemd unit and
#                   /etc/resync-mon/resync-mon.yaml (components runtime and system); Depends
#                   computed by dpkg-shlibdeps
#   resync-mon-dev  the plugin SDK: headers, static libraries, CMake package ResyncMon (sdk)
# `apt-get install ./resync-mon_*.deb` installs the service on its own.

# The unit and the config are the package's, at fixed system paths (the unit names
# /usr/bin/resync-mon and /etc/resync-mon): EXCLUDE_FROM_ALL keeps a plain `cmake --install` from
# writing to /etc, and CPack installs the component by name into its staging folder (DESTDIR).
install(FILES packaging/resync-mon.yaml DESTINATION /etc/resync-mon
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES packaging/resync-mon.service DESTINATION lib/systemd/system
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES packaging/resync-mon.sysusers DESTINATION lib/sysusers.d RENAME resync-mon.conf
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES README.md CHANGELOG.md packaging/copyright DESTINATION share/doc/resync-mon
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES docs/cli.md docs/collectors.md docs/configuration.md docs/development.md
              docs/http-api.md docs/operations.md docs/plugins.md docs/rules-export.md
              docs/dashboard.png docs/report.png
        DESTINATION share/doc/resync-mon/docs COMPONENT system EXCLUDE_FROM_ALL)
install(FILES packaging/copyright DESTINATION share/doc/resync-mon-dev
        COMPONENT sdk EXCLUDE_FROM_ALL)

# A native package carries its Debian changelog as share/doc/PKG/changelog.gz (Debian policy
# 12.7; lintian's no-changelog otherwise). gzip -n keeps the build reproducible.
configure_file(packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog @ONLY)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.gz
  COMMAND sh -c "gzip -9nc '${PROJECT_BINARY_DIR}/packaging/changelog' > '${PROJECT_BINARY_DIR}/packaging/changelog.gz'"
  DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog
  VERBATIM)
add_custom_target(resync_debian_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz DESTINATION share/doc/resync-mon
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_BINARY_DIR}/packaging/changelog.gz DESTINATION share/doc/resync-mon-dev
        COMPONENT sdk EXCLUDE_FROM_ALL)

# dpkg reads this control file, one path per line, comments not allowed: written here, not kept
# in packaging/.
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "/etc/resync-mon/resync-mon.yaml\n")

set(CPACK_PACKAGE_NAME resync-mon)
set(CPACK_PACKAGE_CONTACT
    "resync-mon maintainers <maintainers@users.noreply.r-seed-1c52b5d4.example>")
# Each package's Description starts with its own synopsis line. CPackDeb would put a project-wide
# summary before both unless it is CPack's default text, so the default it stays.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_NAME} built using CMake")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
# DESTDIR staging, the only way CPack keeps the absolute /etc destination inside the package
# instead of writing the build machine's /etc; the prefix is then CPACK_INSTALL_PREFIX.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime system sdk)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_COMPONENT_RUNTIME_GROUP server)
set(CPACK_COMPONENT_SYSTEM_GROUP server)
set(CPACK_COMPONENT_SDK_GROUP dev)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME resync-mon)
# Debian wants the extended description in lines of at most 80 characters.
set(CPACK_DEBIAN_SERVER_DESCRIPTION "small native monitoring: sampler, alerts, dashboard, /metrics
One binary samples the host, an HTTP API, a Redis cache, agents and an HCL
Workload Automation server every few seconds, keeps a rolling window,
evaluates alert rules and serves a live dashboard, a JSON API and Prometheus
/metrics. It runs as the resync-mon systemd service, configured in
/etc/resync-mon/resync-mon.yaml.")
set(CPACK_DEBIAN_SERVER_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm
    ${PROJECT_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME resync-mon-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "plugin SDK of resync-mon
Headers, static libraries and the CMake package ResyncMon for building
resync-mon collector plugins outside its source tree: find_package(ResyncMon)
and resync_add_plugin().")
# The SDK's static libraries link Poco, whose headers and CMake package come from libpoco-dev;
# plugins are built for the resync-mon of the same version.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "resync-mon (= ${PROJECT_VERSION}), libpoco-dev")

include(CPack)
