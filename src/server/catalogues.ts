// The message catalogues the server puts into a page's config, by language; a translation also
// carries the drafts script's line (`restored`). Server-side only: the browser bundles carry
// English alone (src/contract/messages.ts).

import { type DraftMessages, en, type Messages } from '../contract/messages.js';

const ca: Messages & DraftMessages = {
  title: 'La vostra sessió està a punt de caducar',
  body: 'Per la vostra seguretat, es tancarà la sessió per inactivitat.',
  timeLeft: 'Temps restant',
  stay: 'Mantenir la sessió',
  signOut: 'Tancar la sessió',
  announce: 'La sessió es tancarà d’aquí a {duration}.',
  absoluteTitle: 'La vostra sessió acabarà aviat',
  absoluteBody:
    'Per la vostra seguretat, aquesta sessió acaba a les {time} i no es pot prorrogar. Deseu ara la vostra feina.',
  dismiss: 'D’acord',
  offline:
    'No es pot connectar amb el servidor. Aquesta pàgina romandrà oculta fins que es restableixi la connexió.',
  signOutFailed:
    'Encara no s’ha tancat la sessió. Aquesta pàgina romandrà oculta mentre es torna a intentar.',
  lockCover:
    'S’ha tancat la sessió. Aquesta pàgina romandrà oculta fins que torneu a iniciar la sessió.',
  restored: 'S’han restaurat els canvis que no havíeu desat.',
};

const cs: Messages & DraftMessages = {
  title: 'Vaše relace brzy vyprší',
  body: 'Z bezpečnostních důvodů dojde kvůli nečinnosti k odhlášení.',
  timeLeft: 'Zbývající čas',
  stay: 'Prodloužit relaci',
  signOut: 'Odhlásit se',
  announce: 'Čas do odhlášení: {duration}.',
  absoluteTitle: 'Vaše relace brzy skončí',
  absoluteBody:
    'Z bezpečnostních důvodů tato relace skončí v {time} a nelze ji prodloužit. Uložte si nyní svou práci.',
  dismiss: 'OK',
  offline: 'Server není dostupný. Tato stránka zůstane skrytá, dokud se připojení neobnoví.',
  signOutFailed:
    'Odhlášení zatím neproběhlo. Tato stránka zůstane skrytá, dokud se odhlášení nepodaří.',
  lockCover: 'Byli jste odhlášeni. Tato stránka zůstane skrytá, dokud se znovu nepřihlásíte.',
  restored: 'Vaše neuložené změny byly obnoveny.',
};

const de: Messages & DraftMessages = {
  title: 'Ihre Sitzung läuft bald ab',
  body: 'Aus Sicherheitsgründen werden Sie wegen Inaktivität abgemeldet.',
  timeLeft: 'Verbleibende Zeit',
  stay: 'Angemeldet bleiben',
  signOut: 'Abmelden',
  announce: 'Sie werden in {duration} abgemeldet.',
  absoluteTitle: 'Ihre Sitzung endet bald',
  absoluteBody:
    'Aus Sicherheitsgründen endet diese Sitzung um {time} und kann nicht verlängert werden. Speichern Sie jetzt Ihre Arbeit.',
  dismiss: 'OK',
  offline:
    'Der Server ist nicht erreichbar. Diese Seite bleibt ausgeblendet, bis die Verbindung wiederhergestellt ist.',
  signOutFailed:
    'Sie sind noch nicht abgemeldet. Diese Seite bleibt verborgen, während die Abmeldung erneut versucht wird.',
  lockCover: 'Sie wurden abgemeldet. Diese Seite bleibt verborgen, bis Sie sich erneut anmelden.',
  restored: 'Ihre nicht gespeicherten Änderungen wurden wiederhergestellt.',
};

const es: Messages & DraftMessages = {
  title: 'Su sesión está a punto de expirar',
  body: 'Por su seguridad, se cerrará la sesión por inactividad.',
  timeLeft: 'Tiempo restante',
  stay: 'Mantener la sesión',
  signOut: 'Cerrar sesión',
  announce: 'Su sesión se cerrará en {duration}.',
  absoluteTitle: 'Su sesión terminará pronto',
  absoluteBody:
    'Por su seguridad, esta sesión termina a las {time} y no se puede prolongar. Guarde su trabajo ahora.',
  dismiss: 'Aceptar',
  offline:
    'No se puede conectar con el servidor. Esta página permanecerá oculta hasta que se restablezca la conexión.',
  signOutFailed:
    'Aún no se ha cerrado la sesión. Esta página permanecerá oculta mientras se vuelve a intentar.',
  lockCover:
    'Se ha cerrado la sesión. Esta página permanecerá oculta hasta que vuelva a iniciar sesión.',
  restored: 'Se han restaurado los cambios que no había guardado.',
};

const fr: Messages & DraftMessages = {
  title: 'Votre session va bientôt expirer',
  body: 'Pour votre sécurité, votre session va être fermée en raison de votre inactivité.',
  timeLeft: 'Temps restant',
  stay: 'Prolonger la session',
  signOut: 'Se déconnecter',
  announce: 'Votre session se fermera dans {duration}.',
  absoluteTitle: 'Votre session prendra bientôt fin',
  absoluteBody:
    'Pour votre sécurité, cette session prendra fin à {time} et ne pourra pas être prolongée. Enregistrez votre travail dès maintenant.',
  dismiss: 'OK',
  offline:
    'Impossible de joindre le serveur. Cette page reste masquée jusqu’au rétablissement de la connexion.',
  signOutFailed:
    'Vous n’êtes pas encore déconnecté. Cette page reste masquée pendant que la déconnexion est retentée.',
  lockCover:
    'Vous avez été déconnecté. Cette page reste masquée jusqu’à ce que vous vous reconnectiez.',
  restored: 'Vos modifications non enregistrées ont été restaurées.',
};

const it: Messages & DraftMessages = {
  title: 'La sessione sta per scadere',
  body: 'Per motivi di sicurezza, la sessione verrà chiusa per inattività.',
  timeLeft: 'Tempo rimanente',
  stay: 'Prolunga la sessione',
  signOut: 'Esci',
  announce: 'La sessione verrà chiusa tra {duration}.',
  absoluteTitle: 'La sessione terminerà a breve',
  absoluteBody:
    'Per motivi di sicurezza, questa sessione terminerà alle {time} e non potrà essere prolungata. Si consiglia di salvare subito il lavoro.',
  dismiss: 'OK',
  offline:
    'Impossibile raggiungere il server. Questa pagina resterà nascosta fino al ripristino della connessione.',
  signOutFailed:
    'La disconnessione non è ancora avvenuta. Questa pagina resterà nascosta mentre si riprova.',
  lockCover:
    'La sessione è stata chiusa. Questa pagina resterà nascosta finché non si accede di nuovo.',
  restored: 'Le modifiche non salvate sono state ripristinate.',
};

const nl: Messages & DraftMessages = {
  title: 'Uw sessie verloopt bijna',
  body: 'Voor uw veiligheid wordt u wegens inactiviteit uitgelogd.',
  timeLeft: 'Resterende tijd',
  stay: 'Ingelogd blijven',
  signOut: 'Uitloggen',
  announce: 'U wordt over {duration} uitgelogd.',
  absoluteTitle: 'Uw sessie eindigt binnenkort',
  absoluteBody:
    'Voor uw veiligheid eindigt deze sessie om {time}; verlengen is niet mogelijk. Sla uw werk nu op.',
  dismiss: 'OK',
  offline:
    'De server is niet bereikbaar. Deze pagina blijft verborgen tot de verbinding is hersteld.',
  signOutFailed:
    'U bent nog niet uitgelogd. Deze pagina blijft verborgen terwijl het uitloggen opnieuw wordt geprobeerd.',
  lockCover: 'U bent uitgelogd. Deze pagina blijft verborgen tot u opnieuw inlogt.',
  restored: 'Uw niet-opgeslagen wijzigingen zijn hersteld.',
};

const pl: Messages & DraftMessages = {
  title: 'Sesja wkrótce wygaśnie',
  body: 'Ze względów bezpieczeństwa nastąpi wylogowanie z powodu braku aktywności.',
  timeLeft: 'Pozostały czas',
  stay: 'Przedłuż sesję',
  signOut: 'Wyloguj',
  // A colon, not "za {duration}": Intl gives the nominative ("1 minuta"), which "za" would not take.
  announce: 'Czas do wylogowania: {duration}.',
  absoluteTitle: 'Sesja wkrótce się zakończy',
  absoluteBody:
    'Ze względów bezpieczeństwa ta sesja zakończy się o {time} i nie można jej przedłużyć. Prosimy teraz zapisać swoją pracę.',
  dismiss: 'OK',
  offline:
    'Nie można połączyć się z serwerem. Ta strona pozostanie ukryta do czasu przywrócenia połączenia.',
  signOutFailed:
    'Wylogowanie jeszcze się nie powiodło. Ta strona pozostanie ukryta podczas ponownej próby.',
  lockCover: 'Nastąpiło wylogowanie. Ta strona pozostanie ukryta do ponownego zalogowania.',
  restored: 'Przywrócono niezapisane zmiany.',
};

const ptBR: Messages & DraftMessages = {
  title: 'Sua sessão está prestes a expirar',
  body: 'Por segurança, a sessão será encerrada por inatividade.',
  timeLeft: 'Tempo restante',
  stay: 'Manter sessão ativa',
  signOut: 'Sair',
  announce: 'A sessão será encerrada em {duration}.',
  absoluteTitle: 'Sua sessão será encerrada em breve',
  absoluteBody:
    'Por segurança, esta sessão termina às {time} e não pode ser prorrogada. Salve seu trabalho agora.',
  dismiss: 'OK',
  offline:
    'Não foi possível conectar ao servidor. Esta página ficará oculta até a conexão ser restabelecida.',
  signOutFailed:
    'Você ainda não saiu. Esta página ficará oculta enquanto a saída é tentada novamente.',
  lockCover: 'Você saiu da sessão. Esta página ficará oculta até você entrar novamente.',
  restored: 'Suas alterações não salvas foram restauradas.',
};

const ptPT: Messages & DraftMessages = {
  title: 'A sua sessão está prestes a expirar',
  body: 'Por motivos de segurança, a sessão será terminada por inatividade.',
  timeLeft: 'Tempo restante',
  stay: 'Manter sessão iniciada',
  signOut: 'Terminar sessão',
  announce: 'A sessão será terminada dentro de {duration}.',
  absoluteTitle: 'A sua sessão vai terminar em breve',
  absoluteBody:
    'Por motivos de segurança, esta sessão termina às {time} e não pode ser prolongada. Guarde já o seu trabalho.',
  dismiss: 'OK',
  offline:
    'Não é possível contactar o servidor. Esta página fica oculta até a ligação ser restabelecida.',
  signOutFailed:
    'A sessão ainda não foi terminada. Esta página fica oculta enquanto se tenta novamente.',
  lockCover: 'A sessão terminou. Esta página fica oculta até voltar a iniciar sessão.',
  restored: 'As suas alterações não guardadas foram restauradas.',
};

export const CATALOGUES: Readonly<Record<string, Messages>> = Object.freeze({
  en,
  ca,
  cs,
  de,
  es,
  fr,
  it,
  nl,
  pl,
  'pt-BR': ptBR,
  'pt-PT': ptPT,
});

/** Catalogue keys by their lower-case form, for case-insensitive matching. */
const KEYS: ReadonlyMap<string, string> = new Map(
  Object.keys(CATALOGUES).map((key) => [key.toLowerCase(), key]),
);

/** Base languages whose catalogue carries a region: any other Portuguese gets European Portuguese. */
const BASE_DEFAULTS: ReadonlyMap<string, string> = new Map([['pt', 'pt-PT']]);

/** A well-formed enough BCP 47 tag: a 2–3 letter language, then `-`-separated subtags. */
const TAG = /^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$/i;

/**
 * Picks the message catalogue for a BCP 47 language tag (e.g. a page's `lang`).
 *
 * The whole tag is matched first, ignoring case (`pt-br` → `pt-BR`), then its base language
 * (`de-AT` → `de`; `pt` and any Portuguese other than `pt-BR` → `pt-PT`). Anything else,
 * including an undefined, empty or malformed tag, gets English.
 *
 * @param lang - The language tag, or `undefined` when the page has none.
 * @returns The catalogue and its key in {@link CATALOGUES}, which is the `lang` it is written in.
 *
 * @example
 * ```ts
 * catalogueFor('fr-CA'); // { lang: 'fr', messages: CATALOGUES.fr }
 * catalogueFor('pt-br'); // { lang: 'pt-BR', messages: CATALOGUES['pt-BR'] }
 * catalogueFor('pt-AO'); // { lang: 'pt-PT', messages: CATALOGUES['pt-PT'] }
 * catalogueFor('ja'); // { lang: 'en', messages: en }
 * ```
 */
export function catalogueFor(lang: string | undefined): { lang: string; messages: Messages } {
  const tag = lang?.trim().toLowerCase() ?? '';
  if (TAG.test(tag)) {
    const base = tag.split('-', 1)[0] ?? '';
    const key = KEYS.get(tag) ?? BASE_DEFAULTS.get(base) ?? KEYS.get(base);
    const messages = key === undefined ? undefined : CATALOGUES[key];
    if (key !== undefined && messages !== undefined) return { lang: key, messages };
  }
  return { lang: 'en', messages: en };
}
