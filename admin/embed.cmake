# Turns the console's files into one C source of byte arrays, so the binary serves them with no
# files on disk and no build step for the pages themselves. Run by admin/CMakeLists.txt:
#   cmake -DOUTPUT=<file.c> -DINPUTS="a|b|c" -DNAMES="x|y|z" -P embed.cmake
string(REPLACE "|" ";" INPUTS "${INPUTS}")
string(REPLACE "|" ";" NAMES "${NAMES}")
set(text "/* Generated from admin/web by admin/embed.cmake; do not edit. */\n#include <stddef.h>\n")
list(LENGTH INPUTS count)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  list(GET INPUTS ${i} input)
  list(GET NAMES ${i} name)
  file(READ ${input} hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND text "const unsigned char ${name}[] = {${bytes}0x00};\nconst size_t ${name}_size = ${size};\n")
endforeach()
file(WRITE ${OUTPUT} "${text}")
