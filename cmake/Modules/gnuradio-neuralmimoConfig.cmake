find_package(PkgConfig)

PKG_CHECK_MODULES(PC_GR_NEURALMIMO gnuradio-neuralmimo)

FIND_PATH(
    GR_NEURALMIMO_INCLUDE_DIRS
    NAMES gnuradio/neuralmimo/api.h
    HINTS $ENV{NEURALMIMO_DIR}/include
        ${PC_NEURALMIMO_INCLUDEDIR}
    PATHS ${CMAKE_INSTALL_PREFIX}/include
          /usr/local/include
          /usr/include
)

FIND_LIBRARY(
    GR_NEURALMIMO_LIBRARIES
    NAMES gnuradio-neuralmimo
    HINTS $ENV{NEURALMIMO_DIR}/lib
        ${PC_NEURALMIMO_LIBDIR}
    PATHS ${CMAKE_INSTALL_PREFIX}/lib
          ${CMAKE_INSTALL_PREFIX}/lib64
          /usr/local/lib
          /usr/local/lib64
          /usr/lib
          /usr/lib64
          )

include("${CMAKE_CURRENT_LIST_DIR}/gnuradio-neuralmimoTarget.cmake")

INCLUDE(FindPackageHandleStandardArgs)
FIND_PACKAGE_HANDLE_STANDARD_ARGS(GR_NEURALMIMO DEFAULT_MSG GR_NEURALMIMO_LIBRARIES GR_NEURALMIMO_INCLUDE_DIRS)
MARK_AS_ADVANCED(GR_NEURALMIMO_LIBRARIES GR_NEURALMIMO_INCLUDE_DIRS)
