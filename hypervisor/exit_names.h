/* Short names of the basic exit reasons, for the report. */
#ifndef HYPERVISOR_EXIT_NAMES_H
#define HYPERVISOR_EXIT_NAMES_H

const char* exit_reason_name(unsigned reason);

#endif
