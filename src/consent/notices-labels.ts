/**
 * The words a privacy notice uses, in French and English: DPV purposes and DPV personal-data (`pd:`)
 * categories as a learner reads them, for adults and in plain words for a young learner. Every DPV
 * purpose the contract module knows (`DPV_PURPOSES`) and every category the catalog knows
 * (`DATA_CATEGORIES`) has an entry; a test keeps it so. A purpose without words is refused by the
 * notice builder rather than shown to a learner as an IRI.
 */

export type NoticeLanguage = "fr" | "en";
export const NOTICE_LANGUAGES: readonly NoticeLanguage[] = ["fr", "en"];

export interface Words {
  /** A short label. */
  label: string;
  /** One sentence saying what it means for the learner. */
  plain: string;
  /** The same for a young learner (short words, "you"). */
  young: string;
}

type Bilingual = Record<NoticeLanguage, Words>;

const w = (label: string, plain: string, young: string): Words => ({ label, plain, young });

/** DPV purposes, by local name under https://w3id.org/dpv#. */
export const PURPOSE_WORDS: Readonly<Record<string, Bilingual>> = {
  Purpose: {
    en: w("Any purpose", "Any use of your data.", "Any use of your data."),
    fr: w(
      "Toute finalité",
      "Toute utilisation de vos données.",
      "N'importe quelle utilisation de tes données.",
    ),
  },
  ResearchAndDevelopment: {
    en: w(
      "Research and development",
      "To carry out research and to develop new knowledge, products or services.",
      "To do research and invent new things.",
    ),
    fr: w(
      "Recherche et développement",
      "Mener des recherches et développer de nouvelles connaissances, de nouveaux produits ou services.",
      "Faire de la recherche et inventer de nouvelles choses.",
    ),
  },
  AcademicResearch: {
    en: w(
      "Academic research",
      "To carry out research in universities and research institutions, published for the public good.",
      "To help scientists at universities learn new things.",
    ),
    fr: w(
      "Recherche académique",
      "Mener des recherches dans des universités et organismes de recherche, publiées dans l'intérêt général.",
      "Aider des chercheurs d'université à apprendre de nouvelles choses.",
    ),
  },
  ScientificResearch: {
    en: w(
      "Scientific research",
      "To carry out scientific research following the methods of science.",
      "To help scientists do careful research.",
    ),
    fr: w(
      "Recherche scientifique",
      "Mener des recherches scientifiques selon les méthodes de la science.",
      "Aider des scientifiques à faire des recherches sérieuses.",
    ),
  },
  NonCommercialResearch: {
    en: w(
      "Non-commercial research",
      "To carry out research that does not aim at making a profit.",
      "To do research that is not about making money.",
    ),
    fr: w(
      "Recherche non commerciale",
      "Mener des recherches sans but lucratif.",
      "Faire de la recherche qui ne sert pas à gagner de l'argent.",
    ),
  },
  CommercialResearch: {
    en: w(
      "Commercial research",
      "To carry out research for a company that may make a profit from its results.",
      "To do research for a company that may earn money from it.",
    ),
    fr: w(
      "Recherche commerciale",
      "Mener des recherches pour une entreprise qui peut tirer un profit de leurs résultats.",
      "Faire de la recherche pour une entreprise qui peut gagner de l'argent avec.",
    ),
  },
  DevelopNewProductsAndServices: {
    en: w(
      "Developing new products and services",
      "To build new products or services, for example new learning tools.",
      "To build new tools, for example new apps to learn.",
    ),
    fr: w(
      "Développement de nouveaux produits et services",
      "Concevoir de nouveaux produits ou services, par exemple de nouveaux outils d'apprentissage.",
      "Fabriquer de nouveaux outils, par exemple de nouvelles applis pour apprendre.",
    ),
  },
  ServiceProvision: {
    en: w("Providing a service", "To provide a service to you.", "To give you a service."),
    fr: w("Fourniture d'un service", "Vous fournir un service.", "Te rendre un service."),
  },
  ServiceOptimisation: {
    en: w("Improving a service", "To make a service work better.", "To make a service work better."),
    fr: w(
      "Amélioration d'un service",
      "Faire mieux fonctionner un service.",
      "Faire mieux marcher un service.",
    ),
  },
  ServicePersonalisation: {
    en: w(
      "Personalising a service",
      "To adapt a service to you.",
      "To change a service so that it suits you.",
    ),
    fr: w(
      "Personnalisation d'un service",
      "Adapter un service à votre profil.",
      "Adapter un service pour qu'il te convienne.",
    ),
  },
  PersonalisedBenefits: {
    en: w(
      "Personalised benefits",
      "To offer you benefits chosen for you.",
      "To offer you things chosen for you.",
    ),
    fr: w(
      "Avantages personnalisés",
      "Vous proposer des avantages choisis pour vous.",
      "Te proposer des choses choisies pour toi.",
    ),
  },
  OptimisationForController: {
    en: w(
      "Improving the organisation's own operations",
      "To help the organisation run its own activities better.",
      "To help the organisation work better.",
    ),
    fr: w(
      "Optimisation pour le responsable du traitement",
      "Aider l'organisme à mieux conduire ses propres activités.",
      "Aider l'organisme à mieux travailler.",
    ),
  },
  OptimisationForConsumer: {
    en: w(
      "Improving the service for its users",
      "To make the service better for the people who use it.",
      "To make the service better for the people who use it.",
    ),
    fr: w(
      "Optimisation pour les utilisateurs",
      "Rendre le service meilleur pour ses utilisateurs.",
      "Rendre le service meilleur pour ceux qui l'utilisent.",
    ),
  },
  ImproveExistingProductsAndServices: {
    en: w(
      "Improving existing products and services",
      "To improve products or services that already exist.",
      "To make existing tools better.",
    ),
    fr: w(
      "Amélioration de produits et services existants",
      "Améliorer des produits ou services qui existent déjà.",
      "Améliorer des outils qui existent déjà.",
    ),
  },
  ProvideEducation: {
    en: w("Education", "To teach and to organise teaching.", "To teach you and other learners."),
    fr: w(
      "Enseignement",
      "Enseigner et organiser l'enseignement.",
      "T'apprendre des choses, à toi et aux autres élèves.",
    ),
  },
  PersonalisedEducation: {
    en: w(
      "Personalised learning",
      "To adapt teaching to each learner, for example by suggesting exercises.",
      "To adapt lessons to you, for example by suggesting exercises.",
    ),
    fr: w(
      "Apprentissage personnalisé",
      "Adapter l'enseignement à chaque apprenant, par exemple en proposant des exercices.",
      "Adapter les leçons pour toi, par exemple en te proposant des exercices.",
    ),
  },
  EducationalAssessment: {
    en: w(
      "Educational assessment",
      "To assess what learners know and can do.",
      "To check what you have learned.",
    ),
    fr: w(
      "Évaluation pédagogique",
      "Évaluer ce que les apprenants savent et savent faire.",
      "Vérifier ce que tu as appris.",
    ),
  },
  ProvideCertification: {
    en: w("Certification", "To award certificates and diplomas.", "To give certificates and diplomas."),
    fr: w(
      "Certification",
      "Délivrer des certificats et des diplômes.",
      "Donner des certificats et des diplômes.",
    ),
  },
  TrainingArtificialIntelligence: {
    en: w(
      "Training artificial intelligence",
      "To teach computer programs (artificial intelligence) to recognise patterns in learning data, for example to detect early that a learner may drop out.",
      "To teach a computer program to spot patterns, for example to notice early when a learner needs help.",
    ),
    fr: w(
      "Entraînement d'intelligence artificielle",
      "Apprendre à des programmes informatiques (intelligence artificielle) à reconnaître des régularités dans des données d'apprentissage, par exemple pour repérer tôt un risque de décrochage.",
      "Apprendre à un programme d'ordinateur à repérer des choses, par exemple quand un élève a besoin d'aide.",
    ),
  },
  TrainAIModel: {
    en: w(
      "Training an AI model",
      "To train an artificial intelligence model on learning data.",
      "To teach a computer program with learning data.",
    ),
    fr: w(
      "Entraînement d'un modèle d'IA",
      "Entraîner un modèle d'intelligence artificielle sur des données d'apprentissage.",
      "Entraîner un programme d'ordinateur avec des données d'apprentissage.",
    ),
  },
  ValidateAIModel: {
    en: w(
      "Testing an AI model",
      "To check that an artificial intelligence model works well and fairly.",
      "To check that a computer program works well and is fair.",
    ),
    fr: w(
      "Validation d'un modèle d'IA",
      "Vérifier qu'un modèle d'intelligence artificielle fonctionne bien et de manière équitable.",
      "Vérifier qu'un programme d'ordinateur marche bien et qu'il est juste.",
    ),
  },
  EnforceSecurity: {
    en: w("Security", "To protect systems and data.", "To keep computers and data safe."),
    fr: w("Sécurité", "Protéger les systèmes et les données.", "Protéger les ordinateurs et les données."),
  },
  LegalCompliance: {
    en: w("Legal obligations", "To comply with the law.", "To follow the law."),
    fr: w("Obligations légales", "Respecter la loi.", "Respecter la loi."),
  },
  Marketing: {
    en: w("Marketing", "To promote products or services.", "To advertise things."),
    fr: w("Marketing", "Promouvoir des produits ou services.", "Faire de la publicité."),
  },
  Advertising: {
    en: w("Advertising", "To show advertisements.", "To show ads."),
    fr: w("Publicité", "Afficher des publicités.", "Montrer des publicités."),
  },
  PersonalisedAdvertising: {
    en: w(
      "Personalised advertising",
      "To show advertisements chosen from what is known about you.",
      "To show ads chosen for you.",
    ),
    fr: w(
      "Publicité personnalisée",
      "Afficher des publicités choisies à partir de ce que l'on sait de vous.",
      "Montrer des publicités choisies pour toi.",
    ),
  },
  DirectMarketing: {
    en: w("Direct marketing", "To contact you to promote products or services.", "To send you ads."),
    fr: w(
      "Prospection",
      "Vous contacter pour promouvoir des produits ou services.",
      "T'envoyer des publicités.",
    ),
  },
  CommunicationManagement: {
    en: w("Communication", "To communicate with you.", "To talk with you."),
    fr: w("Communication", "Communiquer avec vous.", "Communiquer avec toi."),
  },
  HumanResourceManagement: {
    en: w("Human resources", "To manage staff and employment.", "To manage people at work."),
    fr: w("Ressources humaines", "Gérer le personnel et l'emploi.", "Gérer les gens au travail."),
  },
  RecruitmentAndHiring: {
    en: w("Recruitment", "To recruit and hire people.", "To choose people for a job."),
    fr: w("Recrutement", "Recruter et embaucher.", "Choisir des gens pour un travail."),
  },
  PublicBenefit: {
    en: w("Public interest", "For the benefit of society as a whole.", "To help everyone."),
    fr: w("Intérêt général", "Au bénéfice de la société tout entière.", "Pour aider tout le monde."),
  },
  StatisticalPurpose: {
    en: w(
      "Statistics",
      "To produce statistics in which no one can be recognised.",
      "To count things, without anyone being recognised.",
    ),
    fr: w(
      "Statistiques",
      "Produire des statistiques dans lesquelles personne ne peut être reconnu.",
      "Compter des choses, sans que personne ne soit reconnu.",
    ),
  },
};

/** Learnpool's own purposes, by local name under https://w3id.org/learnpool/odrl/. */
export const LP_PURPOSE_WORDS: Readonly<Record<string, Bilingual>> = {
  BroadResearchInEducation: {
    en: w(
      "Broad research in education",
      "To use your data in future research projects in education whose exact questions are not yet known, always under the rules of scientific research (GDPR recital 33). This is a separate choice: agreeing to another purpose never includes it.",
      "To use your data in future research about learning, even projects not planned yet. This is a separate choice.",
    ),
    fr: w(
      "Recherche en éducation au sens large",
      "Utiliser vos données dans de futurs projets de recherche en éducation dont les questions précises ne sont pas encore connues, toujours selon les règles de la recherche scientifique (considérant 33 du RGPD). C'est un choix à part : accepter une autre finalité ne l'inclut jamais.",
      "Utiliser tes données dans de futures recherches sur l'apprentissage, même des projets pas encore prévus. C'est un choix à part.",
    ),
  },
};

/** DPV personal-data categories, by local name under https://w3id.org/dpv/pd#. */
export const CATEGORY_WORDS: Readonly<Record<string, Bilingual>> = {
  Name: {
    en: w("Name", "Your name.", "Your name."),
    fr: w("Nom", "Vos nom et prénom.", "Ton nom et ton prénom."),
  },
  EmailAddress: {
    en: w("E-mail address", "Your e-mail address.", "Your e-mail address."),
    fr: w("Adresse électronique", "Votre adresse électronique.", "Ton adresse e-mail."),
  },
  Identifier: {
    en: w(
      "Identifiers",
      "Your account identifiers on learning platforms.",
      "Your username on learning apps.",
    ),
    fr: w(
      "Identifiants",
      "Vos identifiants de compte sur les plateformes d'apprentissage.",
      "Ton identifiant sur les applis d'apprentissage.",
    ),
  },
  Age: {
    en: w("Age", "Your age.", "Your age."),
    fr: w("Âge", "Votre âge.", "Ton âge."),
  },
  AgeRange: {
    en: w("Age band", "Your age band (for example 18-25), not your exact age.", "Your age group."),
    fr: w(
      "Tranche d'âge",
      "Votre tranche d'âge (par exemple 18-25 ans), pas votre âge exact.",
      "Ta tranche d'âge.",
    ),
  },
  BirthDate: {
    en: w("Date of birth", "Your date of birth.", "Your birthday."),
    fr: w("Date de naissance", "Votre date de naissance.", "Ta date de naissance."),
  },
  Gender: {
    en: w("Gender", "Your gender.", "Whether you are a girl, a boy or other."),
    fr: w("Genre", "Votre genre.", "Si tu es une fille, un garçon ou autre."),
  },
  Nationality: {
    en: w("Nationality", "Your nationality.", "Your nationality."),
    fr: w("Nationalité", "Votre nationalité.", "Ta nationalité."),
  },
  Country: {
    en: w("Country", "The country where you live or study.", "The country where you live or study."),
    fr: w("Pays", "Le pays où vous vivez ou étudiez.", "Le pays où tu vis ou étudies."),
  },
  Language: {
    en: w("Language", "The language you study in.", "The language you learn in."),
    fr: w("Langue", "La langue dans laquelle vous étudiez.", "La langue dans laquelle tu apprends."),
  },
  Education: {
    en: w("Education", "Information about your education.", "Information about your school work."),
    fr: w("Scolarité", "Des informations sur votre formation.", "Des informations sur ta scolarité."),
  },
  EducationExperience: {
    en: w(
      "Courses and progress",
      "The courses you follow, your enrolments and your progress.",
      "The lessons you follow and how far you got.",
    ),
    fr: w(
      "Cours et progression",
      "Les cours que vous suivez, vos inscriptions et votre progression.",
      "Les cours que tu suis et où tu en es.",
    ),
  },
  EducationQualification: {
    en: w("Grades and diplomas", "Your grades, diplomas and certifications.", "Your marks and diplomas."),
    fr: w("Notes et diplômes", "Vos notes, diplômes et certifications.", "Tes notes et tes diplômes."),
  },
  Behavioral: {
    en: w(
      "Learning activity",
      "What you do on learning platforms: exercises, answers, time spent.",
      "What you do in learning apps: exercises, answers, time spent.",
    ),
    fr: w(
      "Activité d'apprentissage",
      "Ce que vous faites sur les plateformes d'apprentissage : exercices, réponses, temps passé.",
      "Ce que tu fais dans les applis pour apprendre : exercices, réponses, temps passé.",
    ),
  },
  BrowsingBehavior: {
    en: w(
      "Navigation",
      "How you move around the learning platform.",
      "Which pages you visit in learning apps.",
    ),
    fr: w(
      "Navigation",
      "Votre navigation dans la plateforme d'apprentissage.",
      "Les pages que tu visites dans les applis pour apprendre.",
    ),
  },
  LinkClicked: {
    en: w("Resources opened", "The resources and links you open.", "The links you click."),
    fr: w(
      "Ressources consultées",
      "Les ressources et liens que vous ouvrez.",
      "Les liens sur lesquels tu cliques.",
    ),
  },
  IPAddress: {
    en: w(
      "IP address",
      "The network address of your device, found in platform logs.",
      "The address of your computer on the internet.",
    ),
    fr: w(
      "Adresse IP",
      "L'adresse réseau de votre appareil, présente dans les journaux des plateformes.",
      "L'adresse de ton ordinateur sur internet.",
    ),
  },
  Disability: {
    en: w(
      "Disability and accommodations",
      "Information on a disability and the accommodations you receive (a sensitive category of data).",
      "Information on a disability and the help you get (this is very private).",
    ),
    fr: w(
      "Handicap et aménagements",
      "Des informations sur un handicap et les aménagements dont vous bénéficiez (une donnée sensible).",
      "Des informations sur un handicap et l'aide que tu reçois (c'est très personnel).",
    ),
  },
  Interest: {
    en: w("Interests", "The interests you declared.", "What you said you like."),
    fr: w("Centres d'intérêt", "Les centres d'intérêt que vous avez déclarés.", "Ce que tu as dit aimer."),
  },
  Demographic: {
    en: w(
      "Socio-demographic information",
      "Socio-demographic information such as your family's situation.",
      "Information about your family's situation.",
    ),
    fr: w(
      "Informations socio-démographiques",
      "Des informations socio-démographiques comme la situation de votre famille.",
      "Des informations sur la situation de ta famille.",
    ),
  },
};
