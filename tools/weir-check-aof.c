/*
 * weir-check-aof - check, and with --fix repair, an AOF directory or file.
 *
 *   weir-check-aof [--fix] <dir>/<appendfilename>.manifest
 *   weir-check-aof [--fix] <file.aof>
 *
 * Every file the manifest lists is scanned (format: src/aof_int.h).  A
 * torn or corrupt tail of the last file is reported with its offset and,
 * with --fix, cut off at the end of the last whole command (or before an
 * unterminated MULTI).  A problem in any other file cannot be fixed by
 * truncation.  Exit status 0 when the AOF is (now) valid, 1 otherwise.
 * The work is done by aof_check_main() in src/aof_load.c.
 */
#include "aof.h"

int main(int argc, char **argv)
{
    return aof_check_main(argc, argv);
}
