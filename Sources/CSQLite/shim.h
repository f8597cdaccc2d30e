#ifndef CCO_CSQLITE_SHIM_H
#define CCO_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
