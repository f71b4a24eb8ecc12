/* serial.h - the 16550 UART driver (drivers/uart16550.c). */
#ifndef TERN_SERIAL_H
#define TERN_SERIAL_H

#include "types.h"

void serial_init(void);
void serial_putc(char c);
int serial_getc(void);          /* -1 when nothing is waiting */
void serial_enable_rx_irq(void);   /* COM1 raises IRQ 4 when a character arrives */

#endif
