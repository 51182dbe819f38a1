/* system_init: the first component the root task spawns. For now it only
 * proves it runs: it says so on the console and sends the hello message. */
#include "component_rt.h"

void component_main(seL4_Word endpoint, seL4_Word ipc_buffer)
{
    component_print("system_init: started\n");
    component_send_hello(endpoint, ipc_buffer);
}
