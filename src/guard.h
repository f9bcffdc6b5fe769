/*
 * guard.h
 *		The DROP guard of the object catalog (guard.c).
 */
#ifndef EOSWATH_GUARD_H
#define EOSWATH_GUARD_H

extern bool eoswath_allow_drop_with_objects;

extern void eoswath_guard_init(void);
extern void guard_note_sites(void);

#endif							/* EOSWATH_GUARD_H */
