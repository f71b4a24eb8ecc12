/*
 * uart16550.c - COM1 (I/O port 0x3f8), 115200 8n1, polled.
 *
 * Polled output keeps the crash path simple: printk works from any context,
 * interrupts on or off, before and after the rest of the machine is set up.
 */
#include "serial.h"
#include "time.h"
#include "arch/cpu.h"

#define COM1    0x3f8
#define THR     0       /* transmit holding (write) */
#define RBR     0       /* receive buffer (read) */
#define IER     1
#define FCR     2
#define LCR     3
#define MCR     4
#define LSR     5
#define DLL     0
#define DLM     1
#define LSR_DR   0x01
#define LSR_THRE 0x20

static bool present;

void serial_init(void)
{
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80);         /* divisor latch */
    outb(COM1 + DLL, 0x01);         /* 115200 */
    outb(COM1 + DLM, 0x00);
    outb(COM1 + LCR, 0x03);         /* 8n1 */
    outb(COM1 + FCR, 0xc7);         /* FIFOs on, cleared */
    outb(COM1 + MCR, 0x03);         /* DTR, RTS */
    /* No UART answers 0xff on its line status register. */
    present = inb(COM1 + LSR) != 0xff;
}

/* A real UART drains at line speed whatever is attached; a virtual one waits
 * for its backend (a full pipe on the host).  Either way the character must
 * not be lost: wait up to a second for room.  A UART that stays full that
 * long is written to without waiting until it shows room again (a dead line
 * must not slow every printk by a second). */
void serial_putc(char c)
{
    static bool stuck;
    if (!present)
        return;
    if (inb(COM1 + LSR) & LSR_THRE) {
        stuck = false;
    } else if (!stuck) {
        u64 khz = tsc_khz ? tsc_khz : 4000000;      /* before calibration: a fast CPU */
        u64 deadline = rdtsc() + khz * 1000;
        while (!(inb(COM1 + LSR) & LSR_THRE))
            if (rdtsc() > deadline) {
                stuck = true;
                break;
            }
    }
    outb(COM1 + THR, (u8)c);
}

/* Receive interrupts on (the caller routes COM1's IRQ 4): MCR OUT2 gates the
 * IRQ line on PC UARTs. */
void serial_enable_rx_irq(void)
{
    if (!present)
        return;
    outb(COM1 + MCR, 0x0b);         /* DTR, RTS, OUT2 */
    outb(COM1 + IER, 0x01);         /* received data available */
}

int serial_getc(void)
{
    if (!present || !(inb(COM1 + LSR) & LSR_DR))
        return -1;
    return inb(COM1 + RBR);
}
