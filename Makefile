# Thin wrapper over CMake so that the first commands are short.
#   make        build build/certsweep
#   make test   install deps, build (plus a sanitizer build), run every test
#   make demo   install deps, build, scan a local lab and print the table
#   make bench  the loopback benchmark against nmap (bench/run.sh)
#   make bench-vuln  certsweep vuln against sslscan and testssl.sh (bench/vuln.sh)

JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build deps test demo bench bench-vuln format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

# The suite runs on a clang build with AddressSanitizer and UBSan, which
# also builds the libFuzzer harnesses; warnings are errors in both builds.
test: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCERTSWEEP_WERROR=ON >/dev/null
	@cmake --build build -j $(JOBS)
	@CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCERTSWEEP_WERROR=ON \
	    -DCERTSWEEP_SANITIZE=ON -DCERTSWEEP_FUZZ=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure

demo: build
	@scripts/demo.sh

bench: build
	@scripts/install-deps.sh --bench
	@bench/run.sh

bench-vuln: build
	@scripts/install-deps.sh --bench
	@bench/vuln.sh

format:
	@clang-format -i src/*.c src/*.h src/cli/*.c src/cli/*.h src/serve/*.c src/serve/*.h tests/unit/*.c tests/fuzz/*.c

clean:
	rm -rf build build-asan
