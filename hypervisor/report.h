/* The end-of-run report: per guest, how it ended, its VM exits by reason, the time spent in
 * VMX non-root and root operation, and the cost of its console output per KiB. */
#ifndef HYPERVISOR_REPORT_H
#define HYPERVISOR_REPORT_H

void report_print(void);

#endif
