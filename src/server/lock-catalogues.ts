// The lock's strings by language (docs/guide/lock.md), which a translated page's config carries
// with the lock on; English is the lock script's own (src/contract/messages.ts: enLock).
// Server-side only. Each `signOut` is the warning's own (catalogues.ts): one button, one word.

import { enLock, type LockMessages } from '../contract/messages.js';

const ca: LockMessages = {
  lockTitle: 'S’ha tancat la sessió',
  lockBody:
    'La sessió ha acabat mentre éreu fora. Torneu a iniciar la sessió per continuar on ho havíeu deixat: aquesta pàgina es conserva tal com estava.',
  reauthTitle: 'Confirmeu que sou vós',
  reauthBody: 'Torneu a introduir la contrasenya per continuar.',
  username: 'Nom d’usuari',
  password: 'Contrasenya',
  unlock: 'Iniciar la sessió',
  lockRefused: 'El nom d’usuari o la contrasenya no són correctes.',
  lockFailed: 'No s’ha pogut iniciar la sessió. Torneu-ho a provar.',
  cancel: 'Cancel·lar',
  signOut: 'Tancar la sessió',
  passkey: 'Iniciar la sessió amb una clau d’accés',
  passkeyRefused: 'No s’ha acceptat aquesta clau d’accés.',
};

const cs: LockMessages = {
  lockTitle: 'Byli jste odhlášeni',
  lockBody:
    'Vaše relace během vaší nepřítomnosti skončila. Přihlaste se znovu a pokračujte tam, kde jste přestali: tato stránka zůstala beze změny.',
  reauthTitle: 'Potvrďte, že jste to vy',
  reauthBody: 'Chcete-li pokračovat, zadejte znovu heslo.',
  username: 'Uživatelské jméno',
  password: 'Heslo',
  unlock: 'Přihlásit se',
  lockRefused: 'Uživatelské jméno nebo heslo není správné.',
  lockFailed: 'Přihlášení se nezdařilo. Zkuste to prosím znovu.',
  cancel: 'Zrušit',
  signOut: 'Odhlásit se',
  passkey: 'Přihlásit se přístupovým klíčem',
  passkeyRefused: 'Tento přístupový klíč nebyl přijat.',
};

const de: LockMessages = {
  lockTitle: 'Sie wurden abgemeldet',
  lockBody:
    'Ihre Sitzung ist während Ihrer Abwesenheit abgelaufen. Melden Sie sich erneut an, um dort weiterzumachen, wo Sie aufgehört haben: Diese Seite ist unverändert geblieben.',
  reauthTitle: 'Bestätigen Sie, dass Sie es sind',
  reauthBody: 'Geben Sie Ihr Passwort erneut ein, um fortzufahren.',
  username: 'Benutzername',
  password: 'Passwort',
  unlock: 'Anmelden',
  lockRefused: 'Benutzername oder Passwort ist falsch.',
  lockFailed: 'Die Anmeldung ist fehlgeschlagen. Bitte versuchen Sie es erneut.',
  cancel: 'Abbrechen',
  signOut: 'Abmelden',
  passkey: 'Mit Passkey anmelden',
  passkeyRefused: 'Dieser Passkey wurde nicht akzeptiert.',
};

const es: LockMessages = {
  lockTitle: 'Se ha cerrado la sesión',
  lockBody:
    'Su sesión ha terminado mientras estaba ausente. Vuelva a iniciar sesión para continuar donde lo dejó: esta página se conserva tal como estaba.',
  reauthTitle: 'Confirme que es usted',
  reauthBody: 'Vuelva a escribir su contraseña para continuar.',
  username: 'Nombre de usuario',
  password: 'Contraseña',
  unlock: 'Iniciar sesión',
  lockRefused: 'El nombre de usuario o la contraseña no son correctos.',
  lockFailed: 'No se ha podido iniciar sesión. Inténtelo de nuevo.',
  cancel: 'Cancelar',
  signOut: 'Cerrar sesión',
  passkey: 'Iniciar sesión con una llave de acceso',
  passkeyRefused: 'No se ha aceptado esta llave de acceso.',
};

const fr: LockMessages = {
  lockTitle: 'Vous avez été déconnecté',
  lockBody:
    'Votre session a pris fin pendant votre absence. Reconnectez-vous pour reprendre là où vous en étiez : cette page a été conservée telle quelle.',
  reauthTitle: 'Confirmez qu’il s’agit bien de vous',
  reauthBody: 'Saisissez à nouveau votre mot de passe pour continuer.',
  username: 'Nom d’utilisateur',
  password: 'Mot de passe',
  unlock: 'Se connecter',
  lockRefused: 'Le nom d’utilisateur ou le mot de passe est incorrect.',
  lockFailed: 'La connexion a échoué. Veuillez réessayer.',
  cancel: 'Annuler',
  signOut: 'Se déconnecter',
  passkey: 'Se connecter avec une clé d’accès',
  passkeyRefused: 'Cette clé d’accès n’a pas été acceptée.',
};

const it: LockMessages = {
  lockTitle: 'La sessione è stata chiusa',
  lockBody:
    'La sessione è terminata durante l’assenza. Accedere di nuovo per riprendere da dove si era rimasti: questa pagina è rimasta com’era.',
  reauthTitle: 'Conferma dell’identità',
  reauthBody: 'Per continuare, inserire di nuovo la password.',
  username: 'Nome utente',
  password: 'Password',
  unlock: 'Accedi',
  lockRefused: 'Il nome utente o la password non sono corretti.',
  lockFailed: 'L’accesso non è riuscito. Riprovare.',
  cancel: 'Annulla',
  signOut: 'Esci',
  passkey: 'Accedi con una passkey',
  passkeyRefused: 'Questa passkey non è stata accettata.',
};

const nl: LockMessages = {
  lockTitle: 'U bent uitgelogd',
  lockBody:
    'Uw sessie is verlopen terwijl u weg was. Log opnieuw in om verder te gaan waar u gebleven was: deze pagina is ongewijzigd gebleven.',
  reauthTitle: 'Bevestig dat u het bent',
  reauthBody: 'Voer uw wachtwoord opnieuw in om door te gaan.',
  username: 'Gebruikersnaam',
  password: 'Wachtwoord',
  unlock: 'Inloggen',
  lockRefused: 'De gebruikersnaam of het wachtwoord is onjuist.',
  lockFailed: 'Inloggen is niet gelukt. Probeer het opnieuw.',
  cancel: 'Annuleren',
  signOut: 'Uitloggen',
  passkey: 'Inloggen met een toegangssleutel',
  passkeyRefused: 'Deze toegangssleutel is niet geaccepteerd.',
};

const pl: LockMessages = {
  lockTitle: 'Nastąpiło wylogowanie',
  lockBody:
    'Sesja zakończyła się podczas nieobecności. Aby kontynuować od miejsca przerwania, należy zalogować się ponownie: ta strona została zachowana bez zmian.',
  reauthTitle: 'Potwierdzenie tożsamości',
  reauthBody: 'Aby kontynuować, należy ponownie wpisać hasło.',
  username: 'Nazwa użytkownika',
  password: 'Hasło',
  unlock: 'Zaloguj',
  lockRefused: 'Nieprawidłowa nazwa użytkownika lub hasło.',
  lockFailed: 'Logowanie nie powiodło się. Prosimy spróbować ponownie.',
  cancel: 'Anuluj',
  signOut: 'Wyloguj',
  passkey: 'Zaloguj kluczem dostępu',
  passkeyRefused: 'Ten klucz dostępu nie został zaakceptowany.',
};

const ptBR: LockMessages = {
  lockTitle: 'Sua sessão foi encerrada',
  lockBody:
    'Sua sessão terminou enquanto você estava ausente. Entre novamente para continuar de onde parou: esta página foi mantida como estava.',
  reauthTitle: 'Confirme que é você',
  reauthBody: 'Digite sua senha novamente para continuar.',
  username: 'Nome de usuário',
  password: 'Senha',
  unlock: 'Entrar',
  lockRefused: 'O nome de usuário ou a senha estão incorretos.',
  lockFailed: 'Não foi possível entrar. Tente novamente.',
  cancel: 'Cancelar',
  signOut: 'Sair',
  passkey: 'Entrar com uma chave de acesso',
  passkeyRefused: 'Esta chave de acesso não foi aceita.',
};

const ptPT: LockMessages = {
  lockTitle: 'A sessão terminou',
  lockBody:
    'A sua sessão terminou enquanto esteve ausente. Volte a iniciar sessão para continuar onde ficou: esta página foi mantida tal como estava.',
  reauthTitle: 'Confirme a sua identidade',
  reauthBody: 'Introduza novamente a palavra-passe para continuar.',
  username: 'Nome de utilizador',
  password: 'Palavra-passe',
  unlock: 'Iniciar sessão',
  lockRefused: 'O nome de utilizador ou a palavra-passe estão incorretos.',
  lockFailed: 'Não foi possível iniciar sessão. Tente novamente.',
  cancel: 'Cancelar',
  signOut: 'Terminar sessão',
  passkey: 'Iniciar sessão com uma chave de acesso',
  passkeyRefused: 'Esta chave de acesso não foi aceite.',
};

/** The lock's strings of each language of CATALOGUES (catalogues.ts), by the same keys. */
export const LOCK_CATALOGUES: Readonly<Record<string, LockMessages>> = Object.freeze({
  en: enLock,
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
