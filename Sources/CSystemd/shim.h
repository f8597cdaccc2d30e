#ifndef CCO_CSYSTEMD_SHIM_H
#define CCO_CSYSTEMD_SHIM_H
/* sd_journal_send and friends are macros that add CODE_FILE/CODE_LINE unless this is set; cco passes
   its own location fields through sd_journal_sendv. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>
#endif
