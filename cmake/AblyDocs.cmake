# `cmake --build <build> --target docs`: HTML API reference from the public headers,
# into <build>/docs/html (index.html). Not part of `all` and not run by CI. Doxygen
# comes from Debian's `doxygen` package (setup.sh). Warnings go to stderr, visible.
# The headers use plain C comments; docs/doxygen_filter.sed presents them to Doxygen
# as documentation comments, so the headers stay the one source of the text.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(ABLY_DOCS_OUT ${CMAKE_BINARY_DIR}/docs)
  configure_file(${CMAKE_SOURCE_DIR}/docs/Doxyfile.in ${ABLY_DOCS_OUT}/Doxyfile @ONLY)
  file(GLOB ABLY_PUBLIC_HEADERS CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/runtime/include/ably/*.h ${CMAKE_SOURCE_DIR}/generated/include/ably/gen/*.h)
  add_custom_command(OUTPUT ${ABLY_DOCS_OUT}/html/index.html
      COMMAND ${DOXYGEN_EXECUTABLE} ${ABLY_DOCS_OUT}/Doxyfile
      DEPENDS ${ABLY_PUBLIC_HEADERS} ${ABLY_DOCS_OUT}/Doxyfile ${CMAKE_SOURCE_DIR}/docs/doxygen_filter.sed
              ${CMAKE_SOURCE_DIR}/README.md
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
      COMMENT "docs: API reference -> ${ABLY_DOCS_OUT}/html/index.html"
      VERBATIM)
  add_custom_target(docs DEPENDS ${ABLY_DOCS_OUT}/html/index.html)
  # Installed with the rest when it has been built (share/doc/libably/html).
  install(DIRECTORY ${ABLY_DOCS_OUT}/html/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/html OPTIONAL)
else()
  add_custom_target(docs
      COMMAND ${CMAKE_COMMAND} -E echo "docs: doxygen not found (Debian: apt-get install doxygen; ./setup.sh installs it)"
      COMMAND ${CMAKE_COMMAND} -E false
      VERBATIM)
endif()
