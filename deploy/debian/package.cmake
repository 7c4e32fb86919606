# The Debian package (scripts/package runs `cpack -G DEB` in the build dir):
#   /usr/bin/claimsync                      the binary (migrations compiled in)
#   /etc/claimsync/claimsync.toml           conffile, config.example.toml with production
#                                           values (packaged_config.cmake)
#   /etc/claimsync/claimsync.env            conffile, the unit's EnvironmentFile: every
#                                           secret variable, commented (0640; the postinst
#                                           gives it group claimsync)
#   /lib/systemd/system/claimsync.service   the unit
#   /usr/share/doc/claimsync/               README.md, config.example.toml, the alert rules,
#                                           copyright (DEP-5)
# postinst creates the `claimsync` system user and /var/lib/claimsync; postrm purge
# removes them. Depends: from dpkg-shlibdeps over the binary, plus adduser.
set(CLAIMSYNC_DEB_DIR ${CMAKE_SOURCE_DIR}/deploy/debian)
set(CLAIMSYNC_PACKAGED_CONFIG ${CMAKE_BINARY_DIR}/deploy/claimsync.toml)

add_custom_command(
  OUTPUT ${CLAIMSYNC_PACKAGED_CONFIG}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${CMAKE_SOURCE_DIR}/config.example.toml
          -DOUTPUT=${CLAIMSYNC_PACKAGED_CONFIG} -P ${CLAIMSYNC_DEB_DIR}/packaged_config.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/config.example.toml ${CLAIMSYNC_DEB_DIR}/packaged_config.cmake
  COMMENT "Writing the packaged /etc/claimsync/claimsync.toml")
add_custom_target(claimsync_packaged_config ALL DEPENDS ${CLAIMSYNC_PACKAGED_CONFIG})
# `cpack` (an install) must not build every test and benchmark first: scripts/package
# builds the two targets the package holds, then packages.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS claimsync RUNTIME DESTINATION bin)
install(FILES ${CLAIMSYNC_PACKAGED_CONFIG} DESTINATION /etc/claimsync)
# Secrets: never world-readable, not even for a moment between unpack and postinst (the
# group claimsync does not exist at unpack time, so the postinst sets it).
install(FILES ${CLAIMSYNC_DEB_DIR}/claimsync.env DESTINATION /etc/claimsync
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${CLAIMSYNC_DEB_DIR}/claimsync.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/config.example.toml
              ${CMAKE_SOURCE_DIR}/deploy/prometheus/claimsync-rules.yml
              ${CLAIMSYNC_DEB_DIR}/copyright
        DESTINATION share/doc/claimsync)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME claimsync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "claimsync maintainers <claimsync@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "syncs ERC-1155 membership claims from the chain into PostgreSQL or SQLite")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # claimsync_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS adduser)  # postinst; shlibdeps' list is appended
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CLAIMSYNC_DEB_DIR}/conffiles ${CLAIMSYNC_DEB_DIR}/postinst ${CLAIMSYNC_DEB_DIR}/prerm
    ${CLAIMSYNC_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
