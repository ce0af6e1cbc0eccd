# Empties and recreates each directory of DIRS (a ;-list): the working
# corpus and the artifact directory of one fuzz harness, before its run.
#   cmake -DDIRS="a;b" -P fresh_dirs.cmake
foreach(dir IN LISTS DIRS)
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir})
endforeach()
