/* main.c - weir-server entry point. */
#include "server.h"

int main(int argc, char **argv)
{
    return server_main(argc, argv);
}
