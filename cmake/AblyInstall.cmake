# Install rules and packaging for libably (included from the top-level CMakeLists.txt).
#
# `cmake --install <build> --prefix P` gives:
#   P/include/ably/*.h, P/include/ably/gen/*.h   public headers only (runtime/src stays private)
#   P/lib/libably.so.<version> (+ SONAME link)     shared library
#   P/lib/libably.a                                static library
#   P/lib/pkgconfig/ably.pc                        shared: -lably; static: Requires.private/Libs.private
#   P/lib/pkgconfig/ably-static.pc                 libably.a with the dependencies linked shared
#   P/lib/cmake/ably/                              find_package(ably): ably::ably, ably::ably_static
#   P/bin/ably-sandbox                             the local Ably-compatible server (a product)
# Test and benchmark binaries have no install rules.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# pkg-config modules the library depends on (the same ones the top level checks).
set(ABLY_PC_REQUIRES "libcurl libwebsockets libcjson msgpack libsodium openssl")
set(ABLY_PC_LIBS_PRIVATE "-lpthread -lm")

# ---- The shared library: the static `ably` archive linked whole, so both libraries
# hold the same objects and every setting made on `ably` applies to both.
# (CMake wants one source of its own: an empty unit, written into the build tree.)
file(WRITE ${CMAKE_BINARY_DIR}/ably_shared_unit.c
     "/* libably.so is libably.a linked whole; see cmake/AblyInstall.cmake. */\n"
     "typedef int ably_shared_unit_;\n")
add_library(ably_shared SHARED ${CMAKE_BINARY_DIR}/ably_shared_unit.c)
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.24)
  target_link_libraries(ably_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,ably>")
else()
  target_link_libraries(ably_shared PRIVATE -Wl,--whole-archive ably -Wl,--no-whole-archive)
endif()
# Consumers of the shared library need only the headers: libably.so carries its own
# DT_NEEDED entries, and no public header includes a dependency's header.
target_include_directories(ably_shared INTERFACE
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/runtime/include>
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/generated/include>)
# (The installed include dir comes from INCLUDES DESTINATION in install(TARGETS) below.)
# --no-undefined: libably.so must resolve everything it uses from its own DT_NEEDED
# list (catches a missing dependency here instead of in a consumer's link).
# The version script keeps internal helpers out of the dynamic symbol table.
target_link_options(ably_shared PRIVATE -Wl,--no-undefined
    -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/libably.map)
set_property(TARGET ably_shared APPEND PROPERTY LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/libably.map)
set_target_properties(ably_shared PROPERTIES
    OUTPUT_NAME ably
    EXPORT_NAME ably
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
set_target_properties(ably PROPERTIES EXPORT_NAME ably_static)
# Inside this build, `ably::ably` / `ably::ably_static` work as they do for consumers.
add_library(ably::ably ALIAS ably_shared)
add_library(ably::ably_static ALIAS ably)

install(TARGETS ably ably_shared EXPORT ablyTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ---- Public headers, keeping their <ably/...> and <ably/gen/...> paths.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/runtime/include/ably ${CMAKE_SOURCE_DIR}/generated/include/ably
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h")

# ---- ably-sandbox is a product (local development server), the only binary installed.
if(TARGET ably-sandbox)
  install(TARGETS ably-sandbox RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# ---- pkg-config. Relocatable: prefix is found from the .pc file's own location, so
# `cmake --install --prefix P` (chosen after configuring) and DESTDIR both work.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ABLY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ABLY_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH ABLY_PC_UP "/r/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/r")
  string(REGEX REPLACE "/$" "" ABLY_PC_UP "${ABLY_PC_UP}")
  set(ABLY_PC_PREFIX "\${pcfiledir}/${ABLY_PC_UP}")
  set(ABLY_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ABLY_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ABLY_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
foreach(pc ably ably-static)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# ---- CMake package: find_package(ably) -> ably::ably (shared), ably::ably_static.
set(ABLY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ably)
install(EXPORT ablyTargets NAMESPACE ably:: DESTINATION ${ABLY_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/ablyConfig.cmake.in
    ${CMAKE_BINARY_DIR}/cmake/ablyConfig.cmake
    INSTALL_DESTINATION ${ABLY_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/ablyConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/ablyConfig.cmake ${CMAKE_BINARY_DIR}/cmake/ablyConfigVersion.cmake
    DESTINATION ${ABLY_CMAKE_DIR})
