# Compiles the dashboard's files into C: run at build time as
#   cmake -DDIR=src/serve/dashboard -DOUT=build/dashboard_files.c -P embed.cmake
# It writes, for every .html, .css, .js and .svg file of DIR, its bytes as an
# array and a row of cs_dashboard_files[] (dashboard.h) with the URL it is
# served at (index.html at "/", the others at "/ui/NAME") and its content
# type. No tool but CMake itself: file(READ ... HEX) gives the bytes.

if(NOT DIR OR NOT OUT)
  message(FATAL_ERROR "embed.cmake: set DIR (the dashboard's files) and OUT (the .c to write)")
endif()

file(GLOB files RELATIVE ${DIR} ${DIR}/*.html ${DIR}/*.css ${DIR}/*.js ${DIR}/*.svg)
list(SORT files)

# Sixteen bytes a line: "0x3c,0x21,...,\n".
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line_re)

set(arrays "")
set(rows "")
set(n 0)
foreach(name IN LISTS files)
  file(READ ${DIR}/${name} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(${line_re})" "\\1\n    " bytes "${bytes}")

  if(name MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(name MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(name MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  else()
    set(type "image/svg+xml")
  endif()
  if(name STREQUAL "index.html")
    set(path "/")
  else()
    set(path "/ui/${name}")
  endif()

  # A NUL after the bytes: no array is empty, and text can be printed as is.
  string(APPEND arrays "/* ${name} */\nstatic const unsigned char file${n}[] = {\n    ${bytes}0x00};\n\n")
  string(APPEND rows "    {\"${path}\", \"${type}\", file${n}, ${len}},\n")
  math(EXPR n "${n} + 1")
endforeach()

set(text "/* Generated from src/serve/dashboard/ by its embed.cmake: do not edit. */\n")
string(APPEND text "#include \"serve/dashboard.h\"\n\n${arrays}")
string(APPEND text "const struct cs_dashboard_file cs_dashboard_files[] = {\n${rows}    {0, 0, 0, 0},\n};\n")

# Through a temporary file, so that a build stopped halfway leaves no
# truncated source behind.
file(WRITE ${OUT}.tmp "${text}")
file(RENAME ${OUT}.tmp ${OUT})
