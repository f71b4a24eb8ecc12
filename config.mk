# config.mk - build configuration of the hypervisor (the release build).
# Files are selected by these settings in hypervisor/build.mk, not by #ifdef.

# Most physical CPUs the hypervisor supports; a machine with more is refused.
NR_CPUS ?= 64

# Optimisation and debug info of the hypervisor.
HV_OPT ?= -O2 -g
